"""benchmarks/bench_samplers.py end to end on a small synthetic table (three games, one per family): every
ecgfeat and shap row, coverage and stopping-rule lines printed; shapiq's rows skipped with a message when no
Python 3.12 interpreter is given."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _table(path: Path) -> None:
    rng = np.random.default_rng(0)
    z = ((np.arange(4096)[:, None] >> np.arange(12)) & 1).astype(float)
    cols = []
    for _ in range(4):
        a, b = rng.normal(size=12), rng.normal(size=(12, 12)) * 0.3
        cols.append(1 / (1 + np.exp(-(z @ a + np.einsum("ci,ij,cj->c", z, b, z) * 0.3 - 1))))
    np.savez(path, values=np.stack(cols, axis=1), family=np.array(["local", "global", "retrain", "local"]),
             name=np.array(["a", "b", "c", "d"]), split=np.array(["report", "report", "report", "tune"]),
             players=np.array([f"L{i}" for i in range(12)]))


def test_sampler_benchmark_runs_on_a_small_table(tmp_path):
    _table(tmp_path / "t.npz")
    out = subprocess.run([sys.executable, str(BENCHMARKS / "bench_samplers.py"), "--table", str(tmp_path / "t.npz"),
                          "--out", str(tmp_path / "out"), "--seeds", "2", "--stopping-seeds", "1", "--budgets", "150,300,600,1200"],
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout
    assert "3 games (local 1, global 1, retrain 1)" in text
    assert "no --shapiq-python given: skipped" in text
    rows = {m.group(1).strip(): float(m.group(2)) for m in
            re.finditer(r"^(ecgfeat [\w-]+|shap PermutationExplainer)\s+.*?(\d+) / \d+\s+\d+ / \d+\s+\d+$", text, re.M)}
    assert set(rows) == {"ecgfeat odd-regression", "ecgfeat regression", "ecgfeat permutation",
                         "shap PermutationExplainer"}, text
    assert rows["ecgfeat odd-regression"] < rows["ecgfeat permutation"]
    # the paired comparison with the best other estimator, per family
    assert re.search(r"^    vs shap PermutationExplainer: odd-regression needs fewer in [01] of 1 games; .*mean "
                     r"\[-?\d+, -?\d+\], median \[-?\d+, -?\d+\]$", text, re.M), text
    assert re.search(r"^local(\s+[01]\.\d{3}){4}$", text, re.M)  # coverage at the 4 budgets
    assert re.search(r"retrain: \d\.\d{3} of 1 runs", text)  # stopping rule
    # the reference study's budget: error and coverage per family
    assert re.search(r"global: mean error 0\.\d{4}, 90th percentile 0\.\d{4}; coverage [01]\.\d{3}", text), text


def test_sampler_tuning_runs_on_the_tuning_games_only_and_applies_overrides(tmp_path):
    _table(tmp_path / "t.npz")
    script = str(BENCHMARKS / "bench_sampler_tuning.py")
    out = subprocess.run([sys.executable, script, str(tmp_path / "t.npz"), "--seeds", "2", "--budgets", "150,300,1200",
                          "--set", "G_WEIGHT_SHARE=0.5"], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "overrides: {'G_WEIGHT_SHARE': 0.5}" in out.stdout
    rows = re.findall(r"^t\.npz\s+(\w+)\s+(\d+)\s+(\d+) / (\d+)\s+([01]\.\d{3}) ([01]\.\d{3}) ([01]\.\d{3})$",
                      out.stdout, re.M)
    assert [r[:2] for r in rows] == [("local", "1")], out.stdout  # the one tuning game, never the report games
    bad = subprocess.run([sys.executable, script, str(tmp_path / "t.npz"), "--set", "NO_SUCH=1"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "odd_regression has no constant 'NO_SUCH'" in bad.stderr
