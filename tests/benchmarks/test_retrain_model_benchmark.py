"""benchmarks/bench_retrain_model.py's comparison: the difference game is the difference of the two estimates, a
change planted in one lead of one label is found there and nowhere else, and the held-out set keeps sources whole."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_retrain_model import compare, difference_draws, heldout_by_source  # noqa: E402

from ecgfeat.importance import odd_regression_shapley  # noqa: E402
from ecgfeat.importance.coalitions import coalition_codes  # noqa: E402
from ecgfeat.importance.inference import TableGame, multiplier_weights, replayed_draws  # noqa: E402

PLAYERS = [f"L{i}" for i in range(6)]
OUTPUTS = ["A", "B"]
N_RECORDS = 300


def _arm(values: dict[int, np.ndarray], contrib: dict[int, np.ndarray], xi: np.ndarray, name: str) -> dict:
    """An arm as value_arm returns it, from a table of coalition values and per-record contributions: only the
    coalitions the estimator asked are kept, as a RetrainGame keeps only those it fitted."""
    asked: set[int] = set()

    class Recording(TableGame):
        def __call__(self, masks):
            asked.update(int(c) for c in coalition_codes(masks))
            return super().__call__(masks)
    estimate = lambda g: odd_regression_shapley(g, random_state=0, tol=0.0, max_evaluations=40)  # noqa: E731
    res = estimate(Recording(PLAYERS, OUTPUTS, {c: v.reshape(1, -1) for c, v in values.items()}))
    used = {c: values[c] for c in asked}
    mine = {c: contrib[c] for c in asked}
    draws = replayed_draws(estimate, res, used, mine, xi, PLAYERS, OUTPUTS, name)
    return {"result": res, "values": used, "contrib": mine, "draws": draws, "estimate": estimate,
            "players": PLAYERS, "outputs": OUTPUTS, "seconds": 1.0, "fits": len(used)}


def test_a_change_planted_in_one_lead_of_one_label_is_found_there_only():
    rng = np.random.default_rng(0)
    codes = range(64)
    members = {c: np.array([(c >> i) & 1 for i in range(6)], float) for c in codes}
    weights = np.array([[0.10, 0.02], [0.05, 0.08], [0.01, 0.01], [0.06, 0.00], [0.00, 0.04], [0.03, 0.03]])
    study = {c: 0.5 + members[c] @ weights for c in codes}
    fast = {c: study[c] + np.array([0.05 * members[c][2], 0.0]) for c in codes}  # L2 gains 0.05 in label A
    noise = {c: rng.normal(size=(N_RECORDS, 2)) * 0.2 / N_RECORDS for c in codes}  # data noise, shared (paired)
    xi = multiplier_weights(N_RECORDS, 200, random_state=0)
    a = _arm(study, noise, xi, "study")
    b = _arm(fast, {c: noise[c] + rng.normal(size=(N_RECORDS, 2)) * 0.01 / N_RECORDS for c in codes}, xi, "fast")
    diff = difference_draws(a, b, xi)
    assert np.allclose(diff.estimate, b["result"].values[0] - a["result"].values[0], atol=1e-12)
    assert abs(diff.estimate[2, 0] - 0.05) < 1e-9 and np.abs(np.delete(diff.estimate[:, 0], 2)).max() < 1e-9
    table = compare(a, b, diff, {"A": 50, "B": 50}, {"A": 250, "B": 250}, min_heldout=10)
    assert table.loc["A", "leads_changed_holm"] == "L2" and table.loc["B", "leads_changed_holm"] == "-"
    assert np.isclose(table.loc["A", "max_abs_dphi"], 0.05) and table.loc["B", "max_abs_dphi"] < 1e-9
    assert np.isclose(table.loc["B", "kendall_tau"], 1.0) and bool(table.loc["B", "same_top1"])


def test_held_out_records_are_whole_sources_up_to_the_share():
    source = pd.Series(np.repeat([f"s{i}" for i in range(40)], np.arange(1, 41) % 7 + 1))
    test = heldout_by_source(source, 0.25, seed=0)
    held = set(source[test])
    assert not held & set(source[~test])  # no source on both sides
    assert 0.15 * len(source) < test.sum() <= 0.25 * len(source)
