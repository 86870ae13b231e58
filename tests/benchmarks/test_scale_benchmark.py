"""bench_scale's growth table and its projection of the reference configuration from runs with fewer fits."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_scale import FULL, PER_LABEL_STEPS, growth_table, reference_fits_projection  # noqa: E402

from ecgfeat.study.config import StudyConfig  # noqa: E402
from ecgfeat.study.step_clock import STUDY_STEPS  # noqa: E402


def _runs(exponents: dict[str, float], ns=(1000, 4000, 16000)) -> list[dict]:
    """Runs whose steps take 10·(N/1000)^b s, and 1 MB per record of peak memory in the features step."""
    runs = []
    for n in ns:
        steps = {step: 10.0 * (n / 1000) ** exponents.get(step, 1.0) for step in STUDY_STEPS}
        runs.append({"records": n, "wall_s": sum(steps.values()), "step_seconds": steps, "labels": ["a"] * 9,
                     "step_peak_rss_mb": {"features": float(n)}, "peak_rss_mb": float(n)})
    return runs


def test_growth_exponents_and_projection_follow_known_power_laws():
    table = growth_table(_runs({"lead_set_models": 1.0, "bootstrap": 0.5, "report": 1.5}), full_labels=9)
    assert table.loc["lead_set_models", "exponent"] == pytest.approx(1.0)
    assert table.loc["bootstrap", "exponent"] == pytest.approx(0.5)
    assert table.loc["report", "exponent_last_two"] == pytest.approx(1.5)
    assert table.loc["report", f"projected_wall_s@{FULL}"] == pytest.approx(10 * (FULL / 1000) ** 1.5, rel=1e-3)
    assert table.loc["features", f"projected_peak_mb@{FULL}"] == pytest.approx(FULL, rel=1e-3)
    # below-linear growth is projected linearly from the largest N, and the total is the sum of the steps'
    assert table.loc["bootstrap", f"projected_wall_s@{FULL}"] == pytest.approx(10 * 4 * FULL / 16000, abs=1)
    steps = table.drop(index="total")[f"projected_wall_s@{FULL}"].sum()
    assert table.loc["total", f"projected_wall_s@{FULL}"] == pytest.approx(steps, abs=1)


def test_per_label_steps_are_scaled_to_the_full_studys_labels():
    runs = _runs({})
    same, double = growth_table(runs, full_labels=9), growth_table(runs, full_labels=18)
    col = f"projected_wall_s@{FULL}"
    for step in STUDY_STEPS:
        ratio = double.loc[step, col] / same.loc[step, col]
        assert ratio == pytest.approx(2.0 if step in PER_LABEL_STEPS else 1.0, rel=1e-3), step


def test_reference_projection_scales_only_the_retraining_game_by_its_fits():
    table = growth_table(_runs({}))
    col = f"projected_wall_s@{FULL}"
    ref = StudyConfig.named("reference")
    fits_ref = ref.retrain_evaluations + ref.retrain_refits
    line = reference_fits_projection(table, {"retrain_evaluations": 64, "retrain_refits": 8})
    retrain = table.loc["retraining_game", col] * fits_ref / 72
    expected = (table.loc["total", col] - table.loc["retraining_game", col] + retrain) / 3600
    assert f"{expected:.1f} h" in line and f"{fits_ref}/72" in line
    assert np.isclose(retrain / 3600, float(line.rsplit("= ", 1)[1].split(" h")[0]), atol=0.005)
    # any other override changes more than the fit count: no reference projection
    assert reference_fits_projection(table, {"retrain_evaluations": 64, "n_boot": 200}) is None
    assert reference_fits_projection(table, {}) is None
