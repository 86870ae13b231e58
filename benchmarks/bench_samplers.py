"""Lead Shapley samplers on tabulated real games: distinct evaluations to reach 1 % error, standard-error coverage
and the stopping rule, ecgfeat against shap and shapiq on the same tables.

Games (``_sampler_games.py``; the shared CinC-2021 sample, fold 5 held out): 20 local games (held-out records 0-9
× {SR, STTC}, missing masking), 16 global games (held-out log-loss and AUROC, missing and background masking,
4 labels), 8 retraining games (held-out AUROC and log-loss of a model retrained on each coalition, 4 labels). Every
coalition's value is tabulated once (4,096 per game), so every estimator queries the same table and the exact
values are known. Error of a run = max over leads |φ̂ − φ| / |v(N) − v(∅)|; per game, the mean error over seeds
against the mean distinct evaluations at each budget, and the evaluations where it crosses 1 % (log-log
interpolation; a game that never crosses counts as 4,096). Model calls (coalitions sent, repeats included) are the
second column. The odd-regression defaults were chosen on 40 other local games (held-out records 10-29), never on
these; its surrogate's treatment of {∅, N}, the g-weighted share of its variance and the rule that takes a
nearly full stratum whole were chosen on the games of the fold-4 table (``_sampler_games.py OUT 4``) and fold 5's
tuning local games, also never reported (``bench_sampler_tuning.py`` is that harness).

shapiq ≥ 1.5 needs Python ≥ 3.12; its arm runs in a separate environment:

    /root/.pyenv/versions/3.12.1/bin/python -m venv /tmp/sq312
    /tmp/sq312/bin/pip install "shapiq[proxy]==1.8.0" "xgboost==3.2.*"
    .venv/bin/python benchmarks/bench_samplers.py --shapiq-python /tmp/sq312/bin/python [--out artifacts/bench]

Without ``--shapiq-python`` the shapiq rows are read from earlier results in ``--out`` if present. Each arm's
results are saved in ``--out`` and reused (delete them to re-measure).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import crossing  # noqa: E402
from _sampler_games import build_tables, load_tables  # noqa: E402

from ecgfeat.importance import odd_regression_shapley, permutation_shapley, regression_shapley  # noqa: E402
from ecgfeat.importance.exact import shapley_from_values  # noqa: E402
from ecgfeat.importance.games import Game  # noqa: E402

BUDGETS = (100, 150, 200, 300, 400, 600, 800, 1200, 1600, 2400, 3200)
COVERAGE_BUDGETS = (150, 200, 300, 400, 600, 800, 1200, 1600)
#: the reference study's budget of its sampled games (``ecgfeat/pipelines/reference_study.yaml``)
STUDY_BUDGET = 512
SHAPIQ = {"shapiq PolySHAP-3 paired": BUDGETS, "shapiq OddSHAP": BUDGETS, "shapiq LeverageSHAP": BUDGETS,
          "shapiq KernelSHAP paired": BUDGETS, "shapiq RegressionMSR": (200, 400, 800, 1600)}


class TableGame(Game):
    """The tabulated games ``values[:, games]`` as one game with one output per tabulated game; counts the
    coalitions sent (model calls)."""

    def __init__(self, values: np.ndarray, players: list[str]):
        self.values = values
        self.players = list(players)
        self.outputs = [f"g{k}" for k in range(values.shape[1])]
        self.n_rows = 1
        self.calls = 0

    def __call__(self, masks):
        masks = np.atleast_2d(np.asarray(masks, dtype=bool))
        self.calls += len(masks)
        codes = (masks.astype(np.int64) << np.arange(masks.shape[1])).sum(axis=1)
        return self.values[codes][:, None, :]


def run_ecgfeat(method: str, values: np.ndarray, players, seeds: int, budgets: tuple[int, ...] | None = None) -> dict:
    """phi (budgets, seeds, 12, games), se, evaluations and calls of one ecgfeat sampler: one run per seed and
    budget (default :data:`BUDGETS`) covers every game (the games are the outputs of one table game, sampled on the
    same design)."""
    out = {"phi": [], "se": [], "evaluations": [], "calls": []}
    for b in budgets or BUDGETS:
        row = {k: [] for k in out}
        for seed in range(seeds):
            game = TableGame(values, players)
            if method == "odd-regression":
                r = odd_regression_shapley(game, random_state=seed, tol=0.0, max_evaluations=b)
            elif method == "regression":
                # tol=0: no stopping checks, so the pairs are drawn in as few batches as the budget allows
                r = regression_shapley(game, random_state=seed, tol=0.0, max_evaluations=max(b, 30),
                                       batch_pairs=100_000)
            else:
                r = permutation_shapley(game, random_state=seed, tol=0.0, max_evaluations=b)
            row["phi"].append(r.values[0])
            row["se"].append(r.std_error[0])
            row["evaluations"].append(r.n_evaluations)
            row["calls"].append(game.calls)
        for k in out:
            out[k].append(row[k])
    return {k: np.array(v) for k, v in out.items()}


def run_shap(values: np.ndarray, players, seeds: int) -> dict:
    """shap's PermutationExplainer with an all-or-nothing masker (a present lead is 1, an absent one 0), one game
    at a time; distinct coalitions counted from the masks it sends."""
    import shap

    n = len(players)
    out = {"phi": [], "evaluations": [], "calls": []}
    for b in BUDGETS:
        row = {k: [] for k in out}
        for seed in range(seeds):
            phis, ev, calls = [], [], []
            for g in range(values.shape[1]):
                seen: set[int] = set()
                count = [0]

                def f(Z, g=g, seen=seen, count=count):
                    codes = (np.asarray(Z, dtype=np.int64) << np.arange(n)).sum(axis=1)
                    seen.update(codes.tolist())
                    count[0] += len(codes)
                    return values[codes, g]

                masker = shap.maskers.Independent(np.zeros((1, n)), max_samples=1)
                e = shap.PermutationExplainer(f, masker, seed=seed)(np.ones((1, n)), max_evals=b, silent=True)
                phis.append(e.values[0])
                ev.append(len(seen))
                calls.append(count[0])
            row["phi"].append(np.stack(phis, axis=1))
            row["evaluations"].append(ev)
            row["calls"].append(calls)
        for k in out:
            out[k].append(row[k])
    return {k: np.array(v) for k, v in out.items()}


def run_shapiq(python: str | None, table: Path, out: Path, games: np.ndarray, seeds: int) -> dict[str, dict]:
    """shapiq's approximators, each in the Python ≥ 3.12 interpreter ``python`` (results saved and reused)."""
    res = {}
    arm = Path(__file__).resolve().parent / "_shapiq_arm.py"
    for name, budgets in SHAPIQ.items():
        path = out / f"shapiq_{name.split()[1]}.npz"
        if not path.exists():
            if python is None:
                print(f"  {name}: no results in {out} and no --shapiq-python given: skipped")
                continue
            subprocess.run([python, str(arm), str(table), str(path), "--games", ",".join(map(str, games)),
                            "--budgets", ",".join(map(str, budgets)), "--seeds", str(seeds), "--methods", name],
                           check=True, env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
        with np.load(path) as f:
            r = {k: f[k] for k in f.files}
        bs = sorted(set(r["budget"].tolist()))
        ns = int(r["seed"].max()) + 1
        phi = np.full((len(bs), ns, r["phi"].shape[1], len(games)), np.nan)
        ev = np.zeros((len(bs), ns, len(games)))
        calls = np.zeros_like(ev)
        col = {int(g): k for k, g in enumerate(games)}
        for p, g, b, s, e, c in zip(r["phi"], r["game"], r["budget"], r["seed"], r["evaluations"], r["calls"]):
            phi[bs.index(int(b)), int(s), :, col[int(g)]] = p
            ev[bs.index(int(b)), int(s), col[int(g)]] = e
            calls[bs.index(int(b)), int(s), col[int(g)]] = c
        res[name] = {"phi": phi, "evaluations": ev, "calls": calls, "seeds": ns}
    return res


def evaluations_to_1pct(r: dict, exact: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per game: distinct evaluations and model calls at which the mean error over seeds crosses 1 %."""
    err = np.abs(r["phi"] - exact[None, None]).max(axis=2) / scale  # (budgets, seeds, games)
    ev = r["evaluations"] if r["evaluations"].ndim == 3 else np.repeat(r["evaluations"][:, :, None],
                                                                         err.shape[2], axis=2)
    calls = r["calls"] if r["calls"].ndim == 3 else np.repeat(r["calls"][:, :, None], err.shape[2], axis=2)
    e_mean, ev_mean, c_mean = err.mean(axis=1), ev.mean(axis=1), calls.mean(axis=1)
    n_ev = np.array([crossing(list(zip(ev_mean[:, g], e_mean[:, g])), never=4096.0)
                     for g in range(err.shape[2])])
    n_calls = np.array([crossing(list(zip(c_mean[:, g], e_mean[:, g])), never=4096.0)
                        for g in range(err.shape[2])])
    return n_ev, n_calls


def interval_coverage(phi: np.ndarray, se: np.ndarray, exact: np.ndarray, games: np.ndarray) -> float:
    """Share of the 95 % intervals φ̂ ± 1.96 SE (seeds, players, games) of the games ``games`` (mask) that contain
    the exact values (players, games)."""
    return float((np.abs(phi[:, :, games] - exact[None, :, games]) <= 1.96 * se[:, :, games]).mean())


def paired_difference(ours: np.ndarray, theirs: np.ndarray, n_boot: int = 10_000,
                      seed: int = 0) -> tuple[int, tuple[float, float], tuple[float, float]]:
    """Games where ``ours`` needs fewer evaluations than ``theirs``, and 95 % percentile-bootstrap intervals
    (games resampled in pairs) of mean(theirs) − mean(ours) and median(theirs) − median(ours)."""
    idx = np.random.default_rng(seed).integers(0, len(ours), size=(n_boot, len(ours)))
    d_mean = theirs[idx].mean(axis=1) - ours[idx].mean(axis=1)
    d_median = np.median(theirs[idx], axis=1) - np.median(ours[idx], axis=1)
    q = (0.025, 0.975)
    return (int((ours < theirs).sum()), tuple(np.quantile(d_mean, q)), tuple(np.quantile(d_median, q)))


def stopping_rule(values: np.ndarray, players, exact: np.ndarray, scale: np.ndarray, seeds: int,
                  tol: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """(fraction of runs with error ≤ tol, mean evaluations) per game for odd_regression_shapley(tol=tol)."""
    ok = np.zeros(values.shape[1])
    used = np.zeros(values.shape[1])
    for g in range(values.shape[1]):
        for seed in range(seeds):
            r = odd_regression_shapley(TableGame(values[:, [g]], players), random_state=seed, tol=tol)
            ok[g] += np.abs(r.values[0, :, 0] - exact[:, g]).max() / scale[g] <= tol
            used[g] += r.n_evaluations
    return ok / seeds, used / seeds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("artifacts/bench"))
    ap.add_argument("--shapiq-python", default=None)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--stopping-seeds", type=int, default=10)
    ap.add_argument("--budgets", default=None, help="comma-separated budgets instead of the default grid")
    ap.add_argument("--table", type=Path, default=None,
                    help="a table file in _sampler_games.py's format to use instead of building the shared one")
    a = ap.parse_args()
    global BUDGETS, COVERAGE_BUDGETS
    if a.budgets:
        BUDGETS = tuple(int(b) for b in a.budgets.split(","))
        COVERAGE_BUDGETS = tuple(b for b in COVERAGE_BUDGETS if b in BUDGETS)
    t0 = time.perf_counter()
    a.out.mkdir(parents=True, exist_ok=True)
    table = a.table if a.table is not None else build_tables(a.out)
    t = load_tables(table)
    report = np.where(t["split"] == "report")[0]
    values, family, players = t["values"][:, report], t["family"][report], list(t["players"])
    exact = shapley_from_values(values[:, None, :])[0]  # (12, games)
    scale = np.abs(values[-1] - values[0])
    print(f"{len(report)} games ({', '.join(f'{f} {int((family == f).sum())}' for f in dict.fromkeys(family))}); "
          f"{a.seeds} seeds; budgets {BUDGETS}")

    results: dict[str, dict] = {}
    for m in ("odd-regression", "regression", "permutation"):
        path = a.out / f"ecgfeat_{m}.npz"
        if not path.exists():
            r = run_ecgfeat(m, values, players, a.seeds)
            np.savez(path, **r)
        with np.load(path) as f:
            results[f"ecgfeat {m}"] = {k: f[k] for k in f.files}
    path = a.out / "shap_permutation.npz"
    if not path.exists():
        np.savez(path, **run_shap(values, players, a.seeds))
    with np.load(path) as f:
        results["shap PermutationExplainer"] = {k: f[k] for k in f.files}
    results.update(run_shapiq(a.shapiq_python, table, a.out, report, a.seeds))

    fams = list(dict.fromkeys(family))
    print("\ndistinct evaluations to reach 1 % error, mean / median over games (model calls: mean / median)")
    head = f"{'estimator':30s}" + "".join(f"{f + ' (' + str(int((family == f).sum())) + ')':>22s}" for f in fams)
    print(head + f"{'all':>16s}{'model calls, all':>22s}{'seeds':>7s}")
    need = {name: evaluations_to_1pct(r, exact, scale) for name, r in results.items()}
    for name, r in results.items():
        n_ev, n_calls = need[name]
        cells = "".join(f"{np.mean(n_ev[family == f]):>13.0f} / {np.median(n_ev[family == f]):<6.0f}" for f in fams)
        seeds = r.get("seeds", r["phi"].shape[1])
        print(f"{name:30s}{cells}{np.mean(n_ev):>9.0f} / {np.median(n_ev):<5.0f}"
              f"{np.mean(n_calls):>13.0f} / {np.median(n_calls):<7.0f}{seeds:>4d}")
    ours_n = need["ecgfeat odd-regression"][0]
    for f in fams:
        others = {n: v[0][family == f] for n, v in need.items() if not n.startswith("ecgfeat")}
        if not others:
            continue
        mean_best = min(others, key=lambda n: np.mean(others[n]))
        med_best = min(others, key=lambda n: np.median(others[n]))
        print(f"  {f}: odd-regression {np.mean(ours_n[family == f]):.0f} / {np.median(ours_n[family == f]):.0f}; "
              f"best other mean {mean_best} {np.mean(others[mean_best]):.0f}, best other median {med_best} "
              f"{np.median(others[med_best]):.0f}")
        for name in dict.fromkeys((mean_best, med_best)):
            wins, mean_ci, median_ci = paired_difference(ours_n[family == f], others[name])
            print(f"    vs {name}: odd-regression needs fewer in {wins} of {int((family == f).sum())} games; "
                  f"{name} minus odd-regression, 95 % bootstrap CI over games: mean [{mean_ci[0]:.0f}, "
                  f"{mean_ci[1]:.0f}], median [{median_ci[0]:.0f}, {median_ci[1]:.0f}]")

    r = results["ecgfeat odd-regression"]
    print("\nodd-regression: 95 % interval coverage of the exact value, per family and budget (target 0.93-0.97)")
    print(f"{'family':10s}" + "".join(f"{b:>7d}" for b in COVERAGE_BUDGETS))
    for f in fams:
        cov = [interval_coverage(r["phi"][BUDGETS.index(b)], r["se"][BUDGETS.index(b)], exact, family == f)
               for b in COVERAGE_BUDGETS]
        print(f"{f:10s}" + "".join(f"{c:>7.3f}" for c in cov))
    path = a.out / f"ecgfeat_study_budget_{STUDY_BUDGET}.npz"
    if not path.exists():
        np.savez(path, **run_ecgfeat("odd-regression", values, players, a.seeds, budgets=(STUDY_BUDGET,)))
    with np.load(path) as f:
        phi, se = f["phi"][0], f["se"][0]
    err = np.abs(phi - exact[None]).max(axis=1) / scale  # (seeds, games)
    print(f"\nodd-regression at the reference study's budget ({STUDY_BUDGET} coalitions: retraining and background "
          f"games): error = max over leads |φ̂ − φ| / |v(N) − v(∅)| over games and seeds; 95 % interval coverage")
    for f in fams:
        cover = interval_coverage(phi, se, exact, family == f)
        print(f"  {f}: mean error {err[:, family == f].mean():.4f}, 90th percentile "
              f"{np.quantile(err[:, family == f], 0.9):.4f}; coverage {cover:.3f}")
    path = a.out / f"ecgfeat_stopping_seeds{a.stopping_seeds}.npz"  # one file per seed count: never a stale count
    if not path.exists():
        ok, used = stopping_rule(values, players, exact, scale, a.stopping_seeds)
        np.savez(path, ok=ok, used=used)
    with np.load(path) as f:
        ok, used = f["ok"], f["used"]
    print("\nodd-regression stopping rule, tol = 0.01: share of runs whose error is within tol (target ≥ 0.95), "
          "mean distinct evaluations used")
    for f in fams:
        print(f"  {f}: {ok[family == f].mean():.3f} of {int((family == f).sum()) * a.stopping_seeds} runs; "
              f"{used[family == f].mean():.0f} evaluations (worst game {ok[family == f].min():.2f})")
    print(f"\nwall {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
