"""benchmarks/bench_delineation_rates.py: LUDB's annotations moved to the new sample grid, the signal resampled to
the rate asked, and the benchmark end to end on two records."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from bench_delineation_rates import moved_annotations, resampled  # noqa: E402


def test_annotations_and_signal_move_to_the_new_rate():
    ann = pd.DataFrame({"wave": ["P", "QRS"], "onset": [101, -1], "peak": [150, 400], "offset": [181, 455]})
    at250 = moved_annotations(ann, 250)
    assert at250.onset.tolist() == [50, -1] and at250.peak.tolist() == [75, 200] and at250.offset.tolist() == [90, 228]
    assert moved_annotations(ann, 1000).peak.tolist() == [300, 800]
    t = np.arange(5000) / 500.0
    x = np.sin(2 * np.pi * 5 * t)[:, None]
    y = resampled(x, 250)
    assert y.shape == (2500, 1)
    assert np.abs(y[100:-100, 0] - np.sin(2 * np.pi * 5 * np.arange(2500) / 250.0)[100:-100]).max() < 1e-3
    assert resampled(x, 500) is x


def test_rate_benchmark_runs_on_ludb(ludb_dir, tmp_path):
    out = subprocess.run([sys.executable, str(BENCHMARKS / "bench_delineation_rates.py"), "--records", "2",
                          "--rates", "250,500", "--n-jobs", "1", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "250 Hz against 500 Hz" in out.stdout
    table = pd.read_csv(tmp_path / "delineation_ludb_rates.csv", header=[0, 1], index_col=0)
    assert table[("F1 150 ms", "250 Hz")].loc["qrs_on"] > 95  # two clean records: their beats are found
