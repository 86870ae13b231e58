"""The cross-validation harness for delineation parameters: no fold's choice sees its own records."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecgfeat.features.delineation_tuning import (cross_validate_choice, f1_by_fiducial, record_folds,
                                                 timing_summary)


def _scores(tp: dict[tuple[str, str], int]) -> pd.DataFrame:
    """One fiducial, one lead, 100 annotations per record; candidate c finds tp[(record, c)] of them."""
    rows = [{"record": r, "candidate": c, "tolerance": "50 ms", "fiducial": "t_off", "lead": "II", "tp": n,
             "fn": 100 - n, "fp": 100 - n, "errors_ms": [float(e) for e in np.linspace(-10, 10, n)]}
            for (r, c), n in tp.items()]
    return pd.DataFrame(rows)


def test_a_candidate_best_only_on_one_record_is_not_chosen_for_that_record():
    """'overfit' wins on the whole set only because of r0; scored out of fold, r0 gets 'steady' (chosen on the other
    records), and every other record gets 'overfit' (chosen with r0 among the tuning records)."""
    records = [f"r{i}" for i in range(10)]
    tp = {(r, "steady"): 80 for r in records} | {(r, "overfit"): 79 for r in records}
    tp[("r0", "overfit")] = 100
    scores = _scores(tp)
    in_sample = {c: f1_by_fiducial(part).iloc[0] for c, part in scores.groupby("candidate")}
    assert in_sample["overfit"] > in_sample["steady"]
    choices, oof = cross_validate_choice(scores, {r: i for i, r in enumerate(records)})  # leave one record out
    assert choices.set_index("fold").loc[0, "candidate"] == "steady"
    assert set(oof[oof.record == "r0"].candidate) == {"steady"}
    assert set(choices.candidate[choices.fold != 0]) == {"overfit"}
    assert len(oof) == len(records) and oof.record.is_unique


def test_a_folds_choice_does_not_depend_on_its_own_records():
    rng = np.random.default_rng(0)
    records = [f"r{i}" for i in range(20)]
    folds = record_folds(records, n_folds=5, random_state=1)
    tp = {(r, c): int(rng.integers(50, 100)) for r in records for c in "abcd"}
    choices, _ = cross_validate_choice(_scores(tp), folds)
    for r in [r for r in records if folds[r] == 2]:  # change only fold 2's records
        for c in "abcd":
            tp[(r, c)] = 100 if c == "d" else 0
    again, oof = cross_validate_choice(_scores(tp), folds)
    assert again.set_index("fold").loc[2, "candidate"] == choices.set_index("fold").loc[2, "candidate"]
    assert sorted(set(folds.values())) == list(range(5)) and np.bincount(list(folds.values())).tolist() == [4] * 5
    with pytest.raises(ValueError, match="without a fold"):
        cross_validate_choice(_scores(tp), {r: k for r, k in folds.items() if r != "r3"})


def test_timing_summary_reports_bias_sd_and_p95():
    s = _scores({("r0", "a"): 21})
    row = timing_summary(s).iloc[0]
    errs = np.linspace(-10, 10, 21)
    assert row.tp == 21 and row.bias_ms == pytest.approx(0) and row.sd_ms == pytest.approx(errs.std(ddof=1))
    assert row.p95_abs_ms == pytest.approx(np.percentile(np.abs(errs), 95))
    assert row.f1_pct == pytest.approx(200 * 21 / (42 + 79 + 79))
