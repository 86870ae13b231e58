"""Small-sample coverage and family-wise error of lead-importance intervals and tests, for a null label.

Each replication simulates a cohort (``ecgfeat.importance.simulation``, six lead groups; the label "null" is
independent of every feature, so every lead's true Shapley value of held-out AUROC is 0), holds out 20 %, fits the
study's importance model and values the held-out AUROC under missing and background masking by exact enumeration
with multiplier-bootstrap draws (``exact_global_draws``). For every lead it asks whether the 95 % interval covers 0
and whether Holm over the six leads declares any lead important (one-sided, α = 0.05), with three choices of
degrees of freedom for the same standard error:

- ``normal``: normal quantiles (ecgfeat before this benchmark);
- ``hsu``: Student's t with min(n+, n-) - 1 (``conservative_df``, what ecgfeat ships);
- ``welch``: Student's t with the Welch-Satterthwaite degrees of freedom of each lead's influence (the Shapley
  combination of the coalitions' DeLong contributions; positives and negatives as two groups).

It also reports the largest P(top 1) of a lead per replication: every lead ties under the null, so a lead shown
as top with P(top 1) >= 0.95 is a false confident ranking (rank probabilities from the Gaussian draws for
``normal``, from the multivariate t draws ecgfeat ships for ``hsu``).

Seeds 20,000 + k: the choice among the three was made on other replications (seeds 10,000 + k).
Prints one row per (held-out size, value function, choice) and a last line
``coverage_min=<x> fwer_max=<x> replications=<n>`` for the shipped choice.

    .venv/bin/python benchmarks/bench_small_sample_tests.py [--records 200 500 2000] [--replications 1000]
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.stats import t as student_t

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import simulated_cohort_model  # noqa: E402

from ecgfeat._random import stream_seeds  # noqa: E402
from ecgfeat.importance import GlobalScoreGame  # noqa: E402
from ecgfeat.importance.exact import all_coalitions  # noqa: E402
from ecgfeat.importance.inference import exact_global_draws, holm, multiplier_weights  # noqa: E402
from ecgfeat.importance.inference import score_contributions, shapley_coefficients  # noqa: E402

SEED_BASE = 20_000
CHOICES = ("normal", "hsu", "welch")


def _welch_df(influence: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Welch-Satterthwaite degrees of freedom of Σ_r c_r² per column of ``influence`` (records × leads)."""
    v1, v0 = (influence[positive] ** 2).sum(axis=0), (influence[~positive] ** 2).sum(axis=0)
    n1, n0 = int(positive.sum()), int((~positive).sum())
    return (v1 + v0) ** 2 / (v1 ** 2 / (n1 - 1) + v0 ** 2 / (n0 - 1))


def replicate(k: int, n_records: int, n_draws: int = 400) -> pd.DataFrame:
    seeds = stream_seeds(SEED_BASE + k, ("cohort", "split", "background", "model", "multipliers"))
    X, Y, test, model = simulated_cohort_model(n_records, seeds["cohort"], seeds["split"], seeds["model"])
    xi = multiplier_weights(int(test.sum()), n_draws, random_state=seeds["multipliers"])
    rng = np.random.default_rng(seeds["background"])
    null = list(Y.columns).index("null")
    rows = []
    for vf in ("missing", "background"):
        bg = X[~test].iloc[rng.choice(int((~test).sum()), 16, replace=False)].to_numpy() if vf == "background" \
            else None
        game = GlobalScoreGame(model.predict_label_proba, X[test], Y[test], model.lead_groups_, masking=vf,
                               background=bg, score="auroc", empty_output=model.priors_)
        draws = exact_global_draws(game, xi, value_function=vf)
        _, contrib = score_contributions(game.y[:, [null]], game.local(all_coalitions(game.n_players))[..., [null]],
                                         "auroc")
        influence = np.einsum("ci,cr->ri", shapley_coefficients(game.n_players), contrib[..., 0])
        positive = game.y[:, null] == 1
        z = draws.estimate[:, null] / draws.total_se[:, null]
        dfs = {"normal": np.full(len(z), np.inf), "hsu": np.full(len(z), draws.data_df[null]),
               "welch": _welch_df(influence, positive)}
        # the largest P(top 1) of a lead: from the Gaussian draws (normal) or the multivariate t draws (shipped);
        # under the null every lead ties, so a lead shown as top with P >= 0.95 is a false confident ranking
        top = {"normal": replace(draws, data_df=None).summary().query("label == 'null'").p_top1.max(),
               "hsu": draws.summary().query("label == 'null'").p_top1.max(), "welch": np.nan}
        for choice, df in dfs.items():
            rows.append({"records": n_records, "value_function": vf, "choice": choice, "replication": k,
                         "n_pos": int(positive.sum()), "median_df": float(np.median(df)),
                         "covered": float(np.mean(np.abs(z) <= student_t.ppf(0.975, df))),
                         "any_declared": bool((holm(student_t.sf(z, df)) < 0.05).any()),
                         "max_p_top1": top[choice],
                         "confident_top1": float(top[choice] >= 0.95) if np.isfinite(top[choice]) else np.nan})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, nargs="+", default=[200, 500, 2000])
    ap.add_argument("--replications", type=int, default=1000)
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args()
    t0 = time.perf_counter()
    parts = Parallel(n_jobs=args.n_jobs)(delayed(replicate)(k, n) for n in args.records
                                         for k in range(args.replications))
    rows = pd.concat(parts, ignore_index=True)
    table = rows.groupby(["records", "value_function", "choice"], sort=False).agg(
        held_out_positives=("n_pos", "median"), median_df=("median_df", "median"), coverage=("covered", "mean"),
        fwer=("any_declared", "mean"), mean_max_p_top1=("max_p_top1", "mean"),
        confident_top1=("confident_top1", "mean"))
    print(f"null label, 6 leads, 20 % held out, {args.replications} replications per size; "
          f"{time.perf_counter() - t0:.0f} s wall. coverage: share of 95 % intervals containing 0 (6 leads per "
          "replication); fwer: share of replications where Holm (one-sided, 0.05) declares any lead important; "
          "held_out_positives, median_df: medians over replications")
    print(table.round(4).to_string())
    shipped = table.xs("hsu", level="choice")
    print(f"coverage_min={shipped.coverage.min():.3f} fwer_max={shipped.fwer.max():.3f} "
          f"replications={args.replications}")


if __name__ == "__main__":
    main()
