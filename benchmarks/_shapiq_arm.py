"""shapiq's approximators on the tabulated lead games (run in a Python ≥ 3.12 environment with shapiq ≥ 1.5).

    /root/.pyenv/versions/3.12.1/bin/python -m venv /tmp/sq312 && /tmp/sq312/bin/pip install "shapiq==1.8.0"
    /tmp/sq312/bin/python benchmarks/_shapiq_arm.py TABLE.npz OUT.npz --games 0,1,2 --budgets 150,300 --seeds 10

For every (approximator, game, budget, seed): the Shapley estimates, the distinct coalitions the approximator
asked for (its evaluations) and the coalitions it sent (model calls, repeats included). Only numpy and shapiq are
imported: the table holds every coalition's value, row c = the coalition whose members are the bits of c.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import shapiq


def approximators(n: int, seed: int) -> dict:
    return {
        "shapiq PolySHAP-3 paired": lambda: shapiq.PolySHAP(n, max_order=3, pairing_trick=True, random_state=seed),
        "shapiq OddSHAP": lambda: shapiq.OddSHAP(n, random_state=seed),
        "shapiq RegressionMSR": lambda: shapiq.RegressionMSR(n, index="SV", random_state=seed),
        "shapiq LeverageSHAP": lambda: shapiq.LeverageSHAP(n, random_state=seed),
        "shapiq KernelSHAP paired": lambda: shapiq.KernelSHAP(n, pairing_trick=True, random_state=seed),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("table")
    ap.add_argument("out")
    ap.add_argument("--games", required=True)
    ap.add_argument("--budgets", required=True)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--methods", default="")
    a = ap.parse_args()
    with np.load(a.table) as f:
        values = f["values"]
    n = int(np.log2(len(values)))
    games = [int(g) for g in a.games.split(",")]
    budgets = [int(b) for b in a.budgets.split(",")]
    weights = 1 << np.arange(n)
    rec = {"method": [], "game": [], "budget": [], "seed": [], "phi": [], "evaluations": [], "calls": [], "sec": []}
    for name in approximators(n, 0):
        if a.methods and name not in a.methods.split(","):
            continue
        for g in games:
            for b in budgets:
                for seed in range(a.seeds):
                    seen: set[int] = set()
                    calls = [0]

                    def f(masks: np.ndarray) -> np.ndarray:
                        codes = (np.asarray(masks, dtype=np.int64) * weights).sum(axis=1)
                        seen.update(codes.tolist())
                        calls[0] += len(codes)
                        return values[codes, g]

                    t0 = time.perf_counter()
                    iv = approximators(n, seed)[name]().approximate(b, f)
                    phi = np.array([iv[(i,)] for i in range(n)])
                    for k, v in (("method", name), ("game", g), ("budget", b), ("seed", seed), ("phi", phi),
                                 ("evaluations", len(seen)), ("calls", calls[0]),
                                 ("sec", time.perf_counter() - t0)):
                        rec[k].append(v)
        print(name, "done", flush=True)
    np.savez(a.out, **{k: np.array(v) for k, v in rec.items()})


if __name__ == "__main__":
    main()
