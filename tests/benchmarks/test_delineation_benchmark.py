"""benchmarks/bench_delineation_cv.py end to end on a few LUDB records: ecgfeat's out-of-fold rows and a stock
method's rows for every point, its targets and scoring conventions printed; ECGdeli refused with the install
command when it is not installed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_cross_validated_delineation_benchmark_runs_on_ludb(ludb_dir, tmp_path):
    out = subprocess.run([sys.executable, str(BENCHMARKS / "bench_delineation_cv.py"), "--records", "4",
                          "--folds", "2", "--methods", "prominence", "--n-jobs", "1", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Scoring conventions" in out.stdout and "Targets (issue 16)" in out.stdout
    assert "r_peak against LUDB's QRS peak marks" in out.stdout and "P peaks matched at 150 ms" in out.stdout
    assert "QRS points by pacing, F1 (%): the 0 paced records" in out.stdout  # records 1-4 are not paced
    table = pd.read_csv(tmp_path / "delineation_ludb_cv.csv")
    for method in ("ecgfeat (out of fold)", "ecgfeat consensus (out of fold)", "prominence"):
        part = table[(table.candidate == method) & (table.tolerance == "150 ms")]
        assert {"p_on", "qrs_on", "r_peak", "qrs_off", "t_on", "t_peak", "t_off"} <= set(part.fiducial), method
    ours = table[(table.candidate == "ecgfeat (out of fold)") & (table.tolerance == "150 ms")].set_index("fiducial")
    assert ours.loc["qrs_peak", "sensitivity_pct"] > 95  # 4 clean records: the detector finds their beats
    assert any((tmp_path / "delineation_cache").rglob("*.pkl"))  # stock points cached per record


def test_ecgdeli_arm_says_how_to_install_it(monkeypatch):
    sys.path.insert(0, str(BENCHMARKS))
    from _ecgdeli import require_ecgdeli

    monkeypatch.setitem(sys.modules, "ecgdeli", None)  # as if not installed
    with pytest.raises(RuntimeError, match=r"pip install ecgdeli==1\.0\.0"):
        require_ecgdeli()


def test_f1_by_pacing_sums_counts_within_each_group():
    sys.path.insert(0, str(BENCHMARKS))
    from bench_delineation_cv import f1_by_pacing

    scores = pd.DataFrame({"record": ["1", "1", "8", "8"], "candidate": "m", "tolerance": "150 ms",
                           "fiducial": "qrs_on", "lead": ["I", "II", "I", "II"], "tp": [9, 10, 5, 5],
                           "fn": [1, 0, 2, 3], "fp": [0, 0, 0, 5]})
    f1 = f1_by_pacing(scores, {"8"})["m"]
    assert f1[("unpaced", "150 ms", "qrs_on")] == 200 * 19 / (38 + 1)
    assert f1[("paced", "150 ms", "qrs_on")] == 200 * 10 / (20 + 5 + 5)


def test_paced_records_are_read_from_ludb_csv(ludb_dir):
    sys.path.insert(0, str(BENCHMARKS))
    from bench_delineation_cv import paced_records

    paced = paced_records()
    assert {"8", "34", "45", "74", "93"} <= paced and "1" not in paced and len(paced) == 10
