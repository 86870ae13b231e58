"""Delineation on LUDB scored out of fold: ecgfeat's parameters chosen by 5-fold cross-validation over records,
beside stock NeuroKit2 methods (default settings, nothing tuned) on the same records, in the same run.

Each LUDB record is delineated once per candidate (a grid over ecgfeat's tuned parameters, the shipped defaults
among them) and scored at 150 ms, at 50 ms and at the CSE tolerances (P on/off, QRS on/off, T off). For each fold
the candidate with the best mean F1 over the other folds' records is applied to the fold's records
(:func:`ecgfeat.features.delineation_tuning.cross_validate_choice`); only those out-of-fold scores are printed
for ecgfeat. The shipped defaults scored on all records (in-sample) are printed too, to show the optimism.

Scoring conventions: annotations and detections are matched one to one, closest first, within the tolerance;
only inside each lead's annotated window (unmatched detections outside it are not false positives); a QRS
annotated without an onset still counts as a QRS complex (a detection there is not a false positive for 'r');
'r' is scored against LUDB's QRS peak. Error = detection − annotation (ms); SD with ddof 1; p95 = 95th
percentile of |error| over matches.

    .venv/bin/python benchmarks/bench_delineation_cv.py [--records 200] [--methods dwt,prominence] [--n-jobs 2]
"""
from __future__ import annotations

import argparse
import itertools
import time
import warnings
from pathlib import Path

import pandas as pd
from joblib import Parallel, delayed

from ecgfeat._constants import LEADS
from ecgfeat.features.delineation_scoring import CSE_TOLERANCES_MS, ScoreAccumulator
from ecgfeat.features.delineation_tuning import cross_validate_choice, record_folds, record_scores, timing_summary
from ecgfeat.features.ecg_delineate import DELINEATION_METHODS, ecg_delineate
from ecgfeat.paths import shared_dir
from ecgfeat.records import read_record
from ecgfeat.records.ludb import read_annotations

#: ecgfeat's tuned parameters and the values tried (the shipped defaults are the middle ones)
GRID = {"qrs_fraction": (0.01, 0.02, 0.04), "t_prior_ms": (60.0, 100.0, 160.0), "p_edge": (0.2, 0.3, 0.45)}
DEFAULTS = "qrs_fraction=0.02,t_prior_ms=100.0,p_edge=0.3"
FIDUCIAL_ORDER = ["p_on", "p_peak", "p_off", "qrs_on", "r", "qrs_off", "t_peak", "t_off"]


def _candidates() -> dict[str, dict]:
    return {",".join(f"{k}={v}" for k, v in zip(GRID, values)): dict(zip(GRID, values))
            for values in itertools.product(*GRID.values())}


def score_record(path: Path, stock: list[str]) -> pd.DataFrame:
    """Scores of one record for every ecgfeat candidate and every stock method."""
    warnings.simplefilter("ignore")
    rec = read_record(path)
    ann = {lead: read_annotations(path, lead) for lead in LEADS}
    signal = rec.signal.astype(float)
    runs = [(name, "ecgfeat", params) for name, params in _candidates().items()] + [(m, m, {}) for m in stock]
    parts = []
    for candidate, method, params in runs:
        d = ecg_delineate(signal, rec.sampling_rate, method=method, **params)
        accs = [ScoreAccumulator(rec.sampling_rate, 150.0), ScoreAccumulator(rec.sampling_rate, 50.0),
                ScoreAccumulator(rec.sampling_rate, 150.0, tolerances_ms=CSE_TOLERANCES_MS)]
        for acc in accs:
            for j, lead in enumerate(LEADS):
                acc.add(candidate, lead, ann[lead], d.lead(j))
        parts.append(record_scores(path.name, candidate, accs))
    scores = pd.concat(parts, ignore_index=True)
    cse = scores.tolerance == "CSE 2 SD"
    return scores[~cse | scores.fiducial.isin(list(CSE_TOLERANCES_MS))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=200)
    ap.add_argument("--methods", default="dwt,prominence", help=f"stock methods from {list(DELINEATION_METHODS)[1:]}")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("artifacts/benchmarks"))
    args = ap.parse_args()
    stock = [m for m in args.methods.split(",") if m]
    root = shared_dir() / "reference" / "ludb" / "data"
    paths = [root / str(i) for i in range(1, args.records + 1)]
    t0 = time.perf_counter()
    scores = pd.concat(Parallel(n_jobs=args.n_jobs)(delayed(score_record)(p, stock) for p in paths),
                       ignore_index=True)
    wall = time.perf_counter() - t0
    folds = record_folds([p.name for p in paths], n_folds=args.folds, random_state=0)
    ours = scores[~scores.candidate.isin(stock)]
    choices, oof = cross_validate_choice(ours, folds)
    table = pd.concat([
        timing_summary(oof.assign(candidate="ecgfeat (out of fold)")),
        timing_summary(ours[ours.candidate == DEFAULTS].assign(candidate="ecgfeat defaults (in-sample)")),
        timing_summary(scores[scores.candidate.isin(stock)])], ignore_index=True)
    table["fiducial"] = pd.Categorical(table["fiducial"], FIDUCIAL_ORDER)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "delineation_ludb_cv.csv", index=False)
    pd.set_option("display.width", 220)
    print(f"LUDB, {len(paths)} records x 12 leads, {len(_candidates())} ecgfeat candidates, "
          f"{args.folds}-fold CV over records; wall {wall:.0f} s")
    print("\nchosen per fold (tuned on the other folds):")
    print(choices.round(2).to_string(index=False))
    for tol in ("150 ms", "50 ms", "CSE 2 SD"):
        part = table[table.tolerance == tol].sort_values(["fiducial", "candidate"])
        print(f"\n--- tolerance {tol} ---")
        print(part.drop(columns=["tolerance"]).round(1).to_string(index=False))
    f1 = table.pivot_table(index="candidate", columns=["tolerance", "fiducial"], values="f1_pct", observed=True)
    print("\nF1 (%) by method, tolerance and fiducial:")
    print(f1.round(1).to_string())


if __name__ == "__main__":
    main()
