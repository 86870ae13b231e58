"""Odd-regression on tuning games only: distinct evaluations to reach 1 % error and 95 % interval coverage per game
family, with the estimator's module constants optionally overridden — the harness its defaults were chosen with.

Tuning games are the games whose ``split`` is 'tune' in each table (``_sampler_games.py``): every game of the
fold-4 table (``python benchmarks/_sampler_games.py artifacts/bench 4``: 60 local, 16 global, 8 retraining) and
fold 5's 40 tuning local games (held-out records 10-29). ``bench_samplers.py`` reports on fold 5's other games.

    .venv/bin/python benchmarks/bench_sampler_tuning.py artifacts/bench/sampler_games_fold4.npz \\
        artifacts/bench/sampler_games.npz --seeds 10 [--set G_WEIGHT_SHARE=0.3 --set SPARSE_TERMS=0]

Error of a run, the crossing of 1 % and coverage are computed as in ``bench_samplers.py``.
"""
from __future__ import annotations

import argparse
import ast
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_samplers import (BUDGETS, COVERAGE_BUDGETS, evaluations_to_1pct, interval_coverage,  # noqa: E402
                            run_ecgfeat)
from _sampler_games import load_tables  # noqa: E402

from ecgfeat.importance import odd_regression  # noqa: E402
from ecgfeat.importance.exact import shapley_from_values  # noqa: E402


def override(settings: list[str]) -> dict[str, object]:
    """Set odd_regression's module constants from ``NAME=literal`` strings; returns what was set."""
    done = {}
    for item in settings:
        name, _, literal = item.partition("=")
        if not name.isupper() or not hasattr(odd_regression, name):
            raise SystemExit(f"--set {item}: odd_regression has no constant {name!r}")
        done[name] = ast.literal_eval(literal)
        setattr(odd_regression, name, done[name])
    return done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tables", type=Path, nargs="+")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--budgets", default=None, help="comma-separated budgets instead of bench_samplers' grid")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="override a module constant of ecgfeat.importance.odd_regression (repeatable)")
    a = ap.parse_args()
    print("overrides:", override(a.set) or "none")
    budgets = (tuple(int(b) for b in a.budgets.split(",")) if a.budgets
               else tuple(sorted(set(BUDGETS) | set(COVERAGE_BUDGETS))))
    coverage_budgets = [b for b in COVERAGE_BUDGETS if b in budgets]
    t0 = time.perf_counter()
    print(f"{'table':28s}{'family':>9s}{'games':>7s}{'evals to 1 %, mean / median':>30s}   coverage at "
          + " ".join(str(b) for b in coverage_budgets))
    for path in a.tables:
        t = load_tables(path)
        tune = np.flatnonzero(t["split"] == "tune")
        if not len(tune):
            print(f"{path.name:28s}: no tuning games")
            continue
        values, family = t["values"][:, tune], t["family"][tune]
        exact = shapley_from_values(values[:, None, :])[0]
        scale = np.abs(values[-1] - values[0])
        r = run_ecgfeat("odd-regression", values, list(t["players"]), a.seeds, budgets)
        need, _ = evaluations_to_1pct(r, exact, scale)
        for f in dict.fromkeys(family):
            m = family == f
            cover = [interval_coverage(r["phi"][budgets.index(b)], r["se"][budgets.index(b)], exact, m)
                     for b in coverage_budgets]
            print(f"{path.name:28s}{f:>9s}{int(m.sum()):7d}{need[m].mean():>21.0f} / {np.median(need[m]):<6.0f}   "
                  + " ".join(f"{c:.3f}" for c in cover), flush=True)
    print(f"\n{a.seeds} seeds; wall {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
