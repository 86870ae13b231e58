"""Calibration of the lead-importance confidence intervals, by simulation (``ecgfeat.importance.simulation``).

Each replication:
1. Simulates a cohort of ``--records`` rows. Six lead groups are the players; the planted label lives in V2; the
   redundant label is carried equally by II and aVF, and more weakly by V5; no lead predicts the null label.
2. Holds out 20 %, fits the study's importance model, and estimates global lead Shapley values of held-out AUROC
   with 95 % CIs under missing masking, background masking and retraining. Retraining uses the study's odd-regression
   Monte Carlo sampler over 40 of the 64 coalitions.
3. Computes the population values of the same fitted models on an independent sample:
   - 100,000 rows for missing masking and retraining;
   - 10,000 rows for background masking (16 background rows make it 16× dearer).

Printed:
- coverage of the 95 % CIs per value function, label and lead, and per value function and lead (pooled over the
  labels); how many cells lie outside 0.90-0.98 against how many would by chance with exact intervals, and how
  many differ from 0.95 by an exact binomial test (Holm over the cells);
- the family-wise rate at which any lead is declared important for the null label (Holm over leads, α = 0.05),
  with its Wilson interval;
- how often the planted lead ranks first;
- the training-sample variation the intervals leave out (``training_sample_variation``): the spread of the fitted
  models' population value over replications against the reported SE, and coverage of its mean over replications.

The last line reads ``coverage_min=… coverage_median=… null_fwer=… planted_top1=… replications=…``.
Each replication is written to ``<out>.parts/v<version>_<arguments>/seed_<k>.csv`` as it finishes; a rerun with
the same code version and arguments reuses the finished ones (100 replications take ~45 min on 2 cores).

    .venv/bin/python benchmarks/bench_importance_calibration.py [--replications 100] [--n-jobs 2]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm
from joblib import Parallel, delayed

from ecgfeat.importance.simulation import CohortDesign
from ecgfeat.study.calibration import (REFIT_VALUE_FUNCTION, REPLICATION_COLUMNS, REPLICATION_VERSION,
                                      VALUE_FUNCTIONS, calibration_replication, covers, summarise_calibration,
                                      training_sample_variation)


def _replicate(seed: int, design: CohortDesign, args: argparse.Namespace) -> tuple[int, pd.DataFrame]:
    return seed, calibration_replication(seed, design, n_records=args.records, truth_records=args.truth_records,
                                         value_functions=tuple(args.value_functions),
                                         retrain_refits=args.retrain_refits, truth_fits=args.truth_fits)


def null_label_tails(rows: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per value function, for the null label: FWER (Holm), SD of z, and the upper-tail and two-sided rates of z
    beyond Holm's first cut against a normal's, where an excess FWER shows."""
    null = rows[rows.label == "null"]
    cut = float(norm.isf(alpha / null.lead.nunique()))
    z = null.estimate / null.total_se
    out = pd.DataFrame({
        "fwer": (null.p_holm < alpha).groupby([null.value_function, null.seed]).any().groupby(level=0).mean(),
        "sd_z": z.groupby(null.value_function).std(),
        "upper_tail": (z > cut).groupby(null.value_function).mean(),
        "upper_tail_normal": norm.sf(cut),
        "two_sided": (z.abs() > cut).groupby(null.value_function).mean(),
        "two_sided_normal": 2 * norm.sf(cut)})
    out.index.name = f"value_function (cut z = {cut:.2f})"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=100)
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--truth-records", type=int, default=100_000)
    ap.add_argument("--value-functions", nargs="+", default=list(VALUE_FUNCTIONS),
                    choices=VALUE_FUNCTIONS + (REFIT_VALUE_FUNCTION,))
    ap.add_argument("--retrain-refits", type=int, default=12,
                    help=f"{REFIT_VALUE_FUNCTION}: coalitions refitted with a second model seed")
    ap.add_argument("--truth-fits", type=int, default=4,
                    help=f"{REFIT_VALUE_FUNCTION}: independently seeded fits of every coalition averaged for the truth")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("artifacts") / "bench_importance_calibration.csv")
    args = ap.parse_args()
    design = CohortDesign()
    t0 = time.perf_counter()
    parts_dir = args.out.with_suffix(".parts") / (f"v{REPLICATION_VERSION}_records{args.records}_"
                                                  f"truth{args.truth_records}_"
                                                  + "-".join(args.value_functions)
                                                  + (f"_refits{args.retrain_refits}_fits{args.truth_fits}"
                                                     if REFIT_VALUE_FUNCTION in args.value_functions else ""))
    parts_dir.mkdir(parents=True, exist_ok=True)
    todo = [seed for seed in range(args.replications) if not (parts_dir / f"seed_{seed}.csv").exists()]
    print(f"{args.replications - len(todo)} replications reused from {parts_dir}", flush=True)
    finished = Parallel(n_jobs=args.n_jobs, verbose=5, return_as="generator_unordered")(
        delayed(_replicate)(seed, design, args) for seed in todo)
    for seed, part in finished:
        part.to_csv(parts_dir / f"seed_{seed}.csv", index=False)
    # keep_default_na=False: the label "null" must not be read as NaN
    rows = pd.concat([pd.read_csv(parts_dir / f"seed_{seed}.csv", keep_default_na=False, na_values=[""],
                                  usecols=REPLICATION_COLUMNS)[REPLICATION_COLUMNS]
                      for seed in range(args.replications)],
                     ignore_index=True)
    rows.to_csv(args.out, index=False)
    inside = covers(rows)
    cov = inside.groupby([rows.value_function, rows.label, rows.lead]).mean().unstack("lead")
    print(f"design: {design}; {args.records} records, 20 % held out; {args.replications} replications; "
          f"{time.perf_counter() - t0:.0f} s wall; rows in {args.out}")
    print("\ncoverage of 95 % CIs (value function, label × lead):")
    print(cov.round(3).to_string())
    ratio = ((rows.estimate - rows.truth) ** 2).groupby([rows.value_function, rows.label]).mean() ** 0.5 / \
        (rows.total_se ** 2).groupby([rows.value_function, rows.label]).mean() ** 0.5
    print("\nrms(error) / rms(reported SE) per value function and label:")
    print(ratio.unstack("label").round(3).to_string())
    if (rows.truth_se > 0).any():  # a truth from a few fits has its own error: exact intervals cover it less
        expected = pd.Series(2 * norm.cdf(norm.ppf(0.975) * rows.total_se / np.hypot(rows.total_se, rows.truth_se))
                             - 1, index=rows.index)
        share = (rows.refit_se ** 2 / rows.total_se ** 2)
        print("\ncoverage expected if every interval were exact, given the truth's own error (truth_se: the spread "
              "of the truth over its fits); the fit-to-fit share of the reported variance:")
        print(pd.DataFrame({"coverage": inside.groupby(rows.value_function).mean(),
                            "expected_with_exact_intervals": expected.groupby(rows.value_function).mean(),
                            "refit_share_of_variance": share.groupby(rows.value_function).mean()}).round(3)
              .to_string())
    by_lead = inside.groupby([rows.value_function, rows.lead]).mean().unstack("lead")
    print("\ncoverage of 95 % CIs per value function and lead, pooled over the labels:")
    print(by_lead.round(3).to_string())
    s = summarise_calibration(rows, design)
    print(f"\ncells (value function x label x lead) outside 0.90-0.98: {s['cells_outside']} of {s['cells']} "
          f"(expected by chance if every interval covered exactly 0.95: {s['cells_outside_expected']:.1f}); "
          f"cells whose coverage differs from 0.95 (exact binomial test, Holm over cells, 5 %): "
          f"{s['cells_miscalibrated']}")
    print(f"coverage_min_lead={s['coverage_min_lead']:.3f} (per value function and lead); null-label FWER "
          f"{s['null_fwer']:.3f}, Wilson 95 % interval {s['null_fwer_low']:.3f}-{s['null_fwer_high']:.3f}")
    train = training_sample_variation(rows)
    print("\ntraining-sample variation, which no interval contains: SD over replications of the fitted models' "
          "population value (each replication trains on a new sample; an upper bound) against the rms reported SE, "
          "and coverage of the replications' mean truth (the population value averaged over training samples) "
          "beside that of each replication's own truth; the extremes over labels and leads, and pooled:")
    print(train.groupby(level="value_function").agg(
        variance_share_max=("variance_share", "max"), sd_ratio_max=("variance_share", lambda v: np.sqrt(v).max()),
        coverage_own_min=("coverage_own_truth", "min"), coverage_mean_min=("coverage_mean_truth", "min"),
        coverage_own_pooled=("coverage_own_truth", "mean"), coverage_mean_pooled=("coverage_mean_truth", "mean"))
          .round(3).to_string())
    print("\nnull label, z = estimate / total SE (its truth is 0): FWER, SD of z, and the share of tests beyond "
          "Holm's first cut z(1 - 0.05/leads), observed against a normal's:")
    print(null_label_tails(rows).round(4).to_string())
    print(f"\ncoverage_min={s['coverage_min']:.3f} coverage_median={s['coverage_median']:.3f} "
          f"null_fwer={s['null_fwer']:.3f} planted_top1={s['planted_top1']:.3f} replications={s['replications']}")


if __name__ == "__main__":
    main()
