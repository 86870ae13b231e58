"""Delineation on LUDB scored out of fold: ecgfeat's parameters chosen by 5-fold cross-validation over records,
beside every stock NeuroKit2 method and ECGdeli (default settings, nothing tuned) on the same records, in the same
run.

Each LUDB record is delineated once per candidate (a grid over ecgfeat's tuned parameters, the shipped defaults
among them) and scored at 150 ms, at 50 ms and at the CSE tolerances (P on/off, QRS on/off, T off). For each fold
the candidate with the best mean F1 over the other folds' records is applied to the fold's records
(:func:`ecgfeat.features.delineation_tuning.cross_validate_choice`); only those out-of-fold scores are printed
for ecgfeat. The shipped defaults scored on all records (in-sample) are printed too, to show the optimism.
Stock methods' points are cached per record under ``<out>/delineation_cache`` (keyed by method and version) and
scored afresh in every run.

ECGdeli is GPL-3.0 and never an ecgfeat dependency: for its two arms (``ecgdeli``, the port's default
bug-compatible fidelity, and ``ecgdeli-fixed``) install it into this environment first with
``pip install ecgdeli==1.0.0``, or leave them out of ``--methods``.

    .venv/bin/python benchmarks/bench_delineation_cv.py [--records 200] [--methods dwt,...] [--n-jobs 2]
"""
from __future__ import annotations

import argparse
import inspect
import itertools
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from ecgfeat._constants import LEADS
from ecgfeat.features.delineation_scoring import CSE_TOLERANCES_MS, UNANNOTATED_REACH_MS, ScoreAccumulator
from ecgfeat.features.delineation_tuning import (cross_validate_choice, mean_f1, record_folds, record_scores,
                                                timing_summary)
from ecgfeat.features.ecg_delineate import delineate_ecgfeat, ecg_delineate
from ecgfeat.features.ecg_delineate_neurokit import NEUROKIT_METHODS
from ecgfeat.paths import shared_dir
from ecgfeat.records import read_record
from ecgfeat.records.ludb import read_annotations

#: ecgfeat's tuned parameters and the values tried, coordinate-wise around the shipped defaults: every combination
#: of GRID, then of T_ON (the T-onset parameters only move T onset), then QRS_WEAK, QRS_NEIGHBOUR, QRS_QUIET and
#: P_UPRIGHT, then each of QRS_CORE and of QRS_BOUNDS, each with every other parameter at its shipped default
GRID = {"t_prior_ms": (40.0, 60.0, 100.0, 160.0), "p_edge": (0.2, 0.3, 0.45)}
T_ON = {"t_on_ref_ms": (40.0, 80.0, 120.0), "t_on_window_ms": (60.0, 80.0, 100.0, 150.0, 200.0)}
#: 0.3, the main threshold, turns the weak-beat rule off
QRS_WEAK = {"qrs_weak_fraction": (0.04, 0.05, 0.08, 0.12, 0.3)}
#: 0 turns the neighbour rule off; 360 ms is Pan & Tompkins's T-wave window
QRS_NEIGHBOUR = {"qrs_neighbour_ms": (0.0, 250.0, 300.0, 360.0)}
#: 0: the QRS bounds at the first sample below their energy level (before schema 11); else the energy must stay below
#: it this long (ms)
QRS_QUIET = {"qrs_quiet_ms": (0.0, 6.0, 10.0, 16.0)}
#: the QRS bounds searched for outside the beat's core (energy fraction of its maximum, longest quiet stretch joined,
#: least displacement from the window's level of a joined stretch as a fraction of the beat's largest); fraction 0:
#: from the maximum (before schema 12)
QRS_CORE = [{"qrs_core_fraction": 0.0}] + [
    {"qrs_core_fraction": fraction, "qrs_core_gap_ms": gap, "qrs_core_displacement": displacement}
    for fraction in (0.02, 0.05, 0.1) for gap in (40.0, 60.0) for displacement in (0.2, 0.35)]
#: 0: the P wave is the larger deviation of either sign (before schema 9)
P_UPRIGHT = {"p_upright": (0.0, 0.3, 0.5, 0.7, 1.0)}
#: QRS bounds from the 8-30 Hz QRS energy or from the derivative energy of the whole cleaned band ('broad': slow
#: parts of wide complexes count), each at energy fractions on its own scale; for 'broad', also a floor at a
#: multiple of the lead's median energy (0: none); the smoothing window is used by 'broad' only
QRS_BOUNDS = [{"qrs_bounds_band": band, "qrs_smooth_ms": 16.0, "qrs_fraction": fraction, "qrs_noise_factor": noise}
              for band, fractions, noises in (("8-30", (0.01, 0.02, 0.04), (0.0,)),
                                              ("broad", (0.001, 0.0025, 0.005), (0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0)))
              for fraction in fractions for noise in noises]
#: wider smoothing of the broad band's energy (``qrs_smooth_ms``; 16 ms above), with the fractions and floors that
#: can take back the bounds it widens
QRS_BOUNDS += [{"qrs_bounds_band": "broad", "qrs_smooth_ms": smooth, "qrs_fraction": fraction,
                "qrs_noise_factor": noise}
               for smooth in (24.0, 32.0) for fraction in (0.001, 0.0025, 0.005) for noise in (3.0, 5.0, 8.0, 12.0)]
SHIPPED = {name: inspect.signature(delineate_ecgfeat).parameters[name].default
           for name in dict.fromkeys([*GRID, *T_ON, *QRS_WEAK, *QRS_NEIGHBOUR, *QRS_QUIET, *P_UPRIGHT,
                                      *QRS_CORE[1], *QRS_BOUNDS[0]])}


def _name(params: dict) -> str:
    return ",".join(f"{k}={v if isinstance(v, str) else float(v)}" for k, v in params.items())


DEFAULTS = _name(SHIPPED)
FIDUCIAL_ORDER = ["p_on", "p_peak", "p_off", "qrs_on", "r_peak", "qrs_peak", "qrs_off", "t_on", "t_peak", "t_off"]
STOCK = [*NEUROKIT_METHODS, "ecgdeli", "ecgdeli-fixed"]
OURS = "ecgfeat (out of fold)"
#: the same out-of-fold parameters with ``anchors='consensus'``: beats found on all leads together, as ECGdeli does
#: (cross-lead, so not a lead-independent Shapley player; the per-lead arm is ecgfeat's default)
CONSENSUS = "ecgfeat consensus (out of fold)"
#: printed with every run: how the numbers were made
CONVENTIONS = (
    "Scoring conventions: annotations and detections matched one to one, closest pairs first, within the tolerance; "
    "scored only inside each lead's annotated window (an unmatched detection outside it is not a false positive; "
    "one just outside may match an edge annotation); LUDB leaves some boundaries of annotated waves unmarked: an "
    "unmatched detection of such a point whose nearest wave of its type lacks it (within "
    f"{UNANNOTATED_REACH_MS:g} ms of that wave's marked points) is not scored; r_peak and qrs_peak (the complex's "
    "largest deflection) are both scored against LUDB's QRS peak; error = detection - annotation (ms); bias = mean error, "
    "SD with ddof 1, p95 = 95th percentile of |error| over matches; F1 = 2 TP / (2 TP + FN + FP) from counts "
    "summed over records and leads. CSE tolerances (ms): "
    + ", ".join(f"{k} {v}" for k, v in CSE_TOLERANCES_MS.items()) + ".")


def _candidates() -> dict[str, dict]:
    grid = []
    for varied in (GRID, T_ON, QRS_WEAK, QRS_NEIGHBOUR, QRS_QUIET, P_UPRIGHT):
        grid += [{**SHIPPED, **dict(zip(varied, values))} for values in itertools.product(*varied.values())]
    grid += [{**SHIPPED, **core} for core in QRS_CORE]
    grid += [{**SHIPPED, **pair} for pair in QRS_BOUNDS]
    named = {_name(params): params for params in grid}
    assert DEFAULTS in named, "the shipped defaults must be among the candidates"
    return named


def _score(path: Path, candidate: str, fs: float, annotations: dict, per_lead: list[dict]) -> pd.DataFrame:
    accs = [ScoreAccumulator(fs, 150.0), ScoreAccumulator(fs, 50.0),
            ScoreAccumulator(fs, 150.0, tolerances_ms=CSE_TOLERANCES_MS)]
    for acc in accs:
        for j, lead in enumerate(LEADS):
            acc.add(candidate, lead, annotations[lead], per_lead[j])
    scores = record_scores(path.name, candidate, accs)
    cse = scores.tolerance == "CSE 2 SD"
    return scores[~cse | scores.fiducial.isin(list(CSE_TOLERANCES_MS))]


def _stock_detections(signal: np.ndarray, fs: float, method: str) -> list[dict]:
    if method in NEUROKIT_METHODS:
        d = ecg_delineate(signal, fs, method=method)
        return [d.lead(j) for j in range(signal.shape[1])]
    from _ecgdeli import delineate_ecgdeli

    return delineate_ecgdeli(signal, fs, method=method)


def _stock_version(method: str) -> str:
    from importlib.metadata import version

    return version("neurokit2") if method in NEUROKIT_METHODS else version("ecgdeli")


def score_record(path: Path, stock: list[str], cache: Path) -> pd.DataFrame:
    """Scores of one record for every ecgfeat candidate and every stock method (stock points from the cache)."""
    warnings.simplefilter("ignore")
    rec = read_record(path)
    fs = rec.sampling_rate
    annotations = {lead: read_annotations(path, lead) for lead in LEADS}
    signal = rec.signal.astype(float)
    parts = []
    for candidate, params in _candidates().items():
        d = ecg_delineate(signal, fs, method="ecgfeat", **params)
        parts.append(_score(path, candidate, fs, annotations, [d.lead(j) for j in range(len(LEADS))]))
    for method in stock:
        file = cache / f"{method}-{_stock_version(method)}-points" / f"{path.name}.pkl"
        if file.exists():
            detections = pd.read_pickle(file)
        else:
            detections = _stock_detections(signal, fs, method)
            file.parent.mkdir(parents=True, exist_ok=True)
            pd.to_pickle(detections, file)
        parts.append(_score(path, method, fs, annotations, detections))
    return pd.concat(parts, ignore_index=True)


def score_consensus(path: Path, params: dict) -> pd.DataFrame:
    """One record scored with a candidate's ``params`` and consensus anchors (rows named :data:`CONSENSUS`)."""
    warnings.simplefilter("ignore")
    rec = read_record(path)
    annotations = {lead: read_annotations(path, lead) for lead in LEADS}
    d = ecg_delineate(rec.signal.astype(float), rec.sampling_rate, method="ecgfeat", anchors="consensus",
                      **params)
    return _score(path, CONSENSUS, rec.sampling_rate, annotations, [d.lead(j) for j in range(len(LEADS))])


def r_wave_review(path: Path) -> pd.DataFrame:
    """Per annotated QRS complex of one record (shipped defaults, per-lead anchors): whether ecgfeat's beat there
    has an R wave by the minimum-wave rule, the matched R peak's error (ms), and the amplitude of LUDB's QRS peak
    mark above that beat's PR level (mV): where r_peak misses, is LUDB's mark an R wave at all?"""
    warnings.simplefilter("ignore")
    rec = read_record(path)
    fs = rec.sampling_rate
    d = ecg_delineate(rec.signal.astype(float), fs, method="ecgfeat")
    rows = []
    for j, lead in enumerate(LEADS):
        ann = read_annotations(path, lead)
        marks = ann.loc[ann.wave == "QRS", "peak"].to_numpy()
        points = d.lead(j)
        anchor, r_peak = points["qrs_peak"], points["r_peak"]
        for mark in marks[marks >= 0]:
            if not len(anchor) or np.nanmin(np.abs(anchor - mark)) > 0.15 * fs:
                continue
            k = int(np.nanargmin(np.abs(anchor - mark)))
            rows.append((path.name, lead, bool(np.isfinite(r_peak[k])), (r_peak[k] - mark) * 1000 / fs,
                         float(d.cleaned[int(mark), j] - d.baseline[j, k])))
    return pd.DataFrame(rows, columns=["record", "lead", "has_r", "r_error_ms", "mark_mv"])


def print_r_wave_review(review: pd.DataFrame, wave_min_mv: float) -> None:
    no_r = review[~review.has_r]
    rwave = review[review.mark_mv >= wave_min_mv]
    found = rwave.has_r & (rwave.r_error_ms.abs() <= 150)
    print(f"\nr_peak against LUDB's QRS peak marks (shipped defaults, per-lead anchors; {len(review)} annotated "
          f"complexes with a beat detected within 150 ms): ecgfeat finds no R wave (minimum-wave rule, "
          f"{wave_min_mv * 1000:g} uV for 6 ms) in {len(no_r)} ({100 * len(no_r) / max(len(review), 1):.1f} %); "
          f"there LUDB's mark lies a median {no_r.mark_mv.median():.3f} mV above the beat's PR level, "
          f"{100 * (no_r.mark_mv < wave_min_mv).mean():.0f} % of them below {wave_min_mv * 1000:g} uV (a QS complex "
          f"by the rule). On the {len(rwave)} complexes whose mark is at least {wave_min_mv * 1000:g} uV above the PR "
          f"level, an R peak within 150 ms in {100 * found.mean():.1f} %.")


def targets(table: pd.DataFrame, by_lead: pd.DataFrame, stock: list[str], arm: str = OURS) -> list[str]:
    """The issue's acceptance targets, one line each, checked on the out-of-fold rows of ``arm``."""
    lines = []
    for tol in ("150 ms", "50 ms"):
        f1 = table[table.tolerance == tol].pivot_table(index="fiducial", columns="candidate", values="f1_pct",
                                                       observed=True)
        f1lead = by_lead[by_lead.tolerance == tol].pivot_table(index=["fiducial", "lead"], columns="candidate",
                                                               values="f1_pct", observed=True)
        for fid in f1.index:
            others = [m for m in stock if m in f1.columns and np.isfinite(f1.loc[fid, m])]
            if not others:
                continue
            best = max(others, key=lambda m: f1.loc[fid, m])
            ok = f1.loc[fid, arm] >= f1.loc[fid, best]
            part = f1lead.loc[fid]
            lead_ok = int((part[arm] >= part[others].max(axis=1)).sum())
            lines.append(f"F1 at {tol:>6} {fid:8s}: ecgfeat {f1.loc[fid, arm]:5.1f} vs best stock {best} "
                         f"{f1.loc[fid, best]:5.1f} -> {'met' if ok else 'NOT met'} overall; "
                         f"leads where ecgfeat >= best stock: {lead_ok}/{len(part)}")
    qrs = by_lead[(by_lead.candidate == arm) & (by_lead.tolerance == "150 ms") & (by_lead.fiducial == "qrs_peak")]
    worst_se, worst_ppv = qrs.sensitivity_pct.min(), qrs.ppv_pct.min()
    lines.append(f"QRS Se and PPV >= 99.5 % in every lead: lowest Se {worst_se:.2f} "
                 f"({qrs.lead[qrs.sensitivity_pct.idxmin()]}), lowest PPV {worst_ppv:.2f} "
                 f"({qrs.lead[qrs.ppv_pct.idxmin()]}) -> {'met' if min(worst_se, worst_ppv) >= 99.5 else 'NOT met'}")
    ours = table[(table.candidate == arm) & (table.tolerance == "150 ms")].set_index("fiducial")
    for fid, limit in (("qrs_on", 15.0), ("qrs_off", 15.0), ("t_off", 25.0)):
        sd = ours.loc[fid, "sd_ms"]
        lines.append(f"{fid} error SD <= {limit:g} ms: {sd:.1f} ms -> {'met' if sd <= limit else 'NOT met'}")
    return lines


def late_p_peaks(scores: pd.DataFrame) -> pd.Series:
    """Per candidate/method: the share (%) of P peaks matched at 150 ms that lie 50-150 ms after LUDB's mark (on a
    held-out database ecgfeat's P peaks were late this way 17.5 % of the time, NeuroKit2 prominence's 4.6 %)."""
    part = scores[(scores.tolerance == "150 ms") & (scores.fiducial == "p_peak")]
    return part.groupby("candidate").errors_ms.apply(
        lambda lists: 100 * float(np.mean(np.concatenate([np.asarray(e, float) for e in lists]) > 50)))


def paced_records() -> set[str]:
    """LUDB records with cardiac pacing (a non-empty 'Cardiac pacing' entry in ``ludb.csv``)."""
    table = pd.read_csv(shared_dir() / "reference" / "ludb" / "ludb.csv")
    return set(table.loc[table["Cardiac pacing"].fillna("").astype(str).str.strip() != "", "ID"].astype(str))


def f1_by_pacing(scores: pd.DataFrame, paced: set[str],
                 fiducials: tuple[str, ...] = ("qrs_on", "qrs_peak", "qrs_off")) -> pd.DataFrame:
    """F1 (%) per (records: 'paced' / 'unpaced', tolerance, fiducial) and candidate, from counts summed over each
    group's records and leads (150 and 50 ms)."""
    part = scores[scores.fiducial.isin(fiducials) & scores.tolerance.isin(["150 ms", "50 ms"])]
    part = part.assign(records=np.where(part.record.astype(str).isin(paced), "paced", "unpaced"))
    sums = part.groupby(["records", "tolerance", "fiducial", "candidate"], observed=True)[["tp", "fn", "fp"]].sum()
    return (200 * sums.tp / (2 * sums.tp + sums.fn + sums.fp)).unstack("candidate")


def failure_review(oof: pd.DataFrame, scores: pd.DataFrame, stock: list[str], top: int = 15) -> pd.DataFrame:
    """Record × lead × fiducial cells at 50 ms where ecgfeat (out of fold) trails the best stock method by most."""
    def f1(frame: pd.DataFrame, name: str) -> pd.Series:
        g = frame[frame.tolerance == "50 ms"].groupby(["record", "lead", "fiducial"])[["tp", "fn", "fp"]].sum()
        return (200 * g.tp / (2 * g.tp + g.fn + g.fp).clip(lower=1)).rename(name)

    ours = f1(oof, "ecgfeat")
    theirs = pd.concat([f1(scores[scores.candidate == m], m) for m in stock], axis=1)
    out = pd.concat([ours, theirs.max(axis=1).rename("best_stock"), theirs.idxmax(axis=1).rename("method")], axis=1)
    out["gap"] = out.best_stock - out.ecgfeat
    return out.sort_values("gap", ascending=False).head(top).reset_index()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=200)
    ap.add_argument("--methods", default=",".join(STOCK), help=f"stock methods from {STOCK}")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("artifacts/benchmarks"))
    args = ap.parse_args()
    stock = [m for m in args.methods.split(",") if m]
    unknown = sorted(set(stock) - set(STOCK))
    if unknown:
        ap.error(f"unknown stock methods {unknown}; choose from {STOCK}")
    if any(m.startswith("ecgdeli") for m in stock):
        from _ecgdeli import require_ecgdeli

        require_ecgdeli()
    root = shared_dir() / "reference" / "ludb" / "data"
    paths = [root / str(i) for i in range(1, args.records + 1)]
    cache = args.out / "delineation_cache"
    t0 = time.perf_counter()
    scores = pd.concat(Parallel(n_jobs=args.n_jobs)(delayed(score_record)(p, stock, cache) for p in paths),
                       ignore_index=True)
    wall = time.perf_counter() - t0
    folds = record_folds([p.name for p in paths], n_folds=args.folds, random_state=0)
    ours = scores[~scores.candidate.isin(stock)]
    choices, oof = cross_validate_choice(ours, folds)
    by_candidate = {c: mean_f1(part) for c, part in ours.groupby("candidate", sort=True)}
    on_all = max(by_candidate, key=lambda c: (by_candidate[c], c))
    candidates = _candidates()
    chosen = {fold: candidates[name] for fold, name in zip(choices.fold, choices.candidate)}
    consensus = pd.concat(Parallel(n_jobs=args.n_jobs)(delayed(score_consensus)(p, chosen[folds[p.name]])
                                                       for p in paths), ignore_index=True)
    in_sample = ours[ours.candidate == DEFAULTS].assign(candidate="ecgfeat defaults (in-sample)")
    rows = [oof.assign(candidate=OURS), consensus, in_sample, scores[scores.candidate.isin(stock)]]
    table = pd.concat([timing_summary(r) for r in rows], ignore_index=True)
    by_lead = pd.concat([timing_summary(r, by=("candidate", "tolerance", "fiducial", "lead")) for r in rows],
                        ignore_index=True)
    for t in (table, by_lead):
        t["fiducial"] = pd.Categorical(t["fiducial"], FIDUCIAL_ORDER)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "delineation_ludb_cv.csv", index=False)
    by_lead.to_csv(args.out / "delineation_ludb_cv_by_lead.csv", index=False)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 40)
    print(f"LUDB, {len(paths)} records x 12 leads, {len(_candidates())} ecgfeat candidates, "
          f"{args.folds}-fold CV over records; stock methods {stock}; wall {wall:.0f} s")
    print(CONVENTIONS)
    print("\nchosen per fold (tuned on the other folds):")
    print(choices.round(2).to_string(index=False))
    print(f"chosen on all records (what ecgfeat should ship): {on_all} (mean F1 {by_candidate[on_all]:.2f}); "
          f"shipped now: {DEFAULTS} (mean F1 {by_candidate[DEFAULTS]:.2f})")
    for tol in ("150 ms", "50 ms", "CSE 2 SD"):
        part = table[table.tolerance == tol].sort_values(["fiducial", "candidate"])
        print(f"\n--- tolerance {tol} ---")
        print(part.drop(columns=["tolerance"]).round(1).to_string(index=False))
    f1 = table.pivot_table(index="candidate", columns=["tolerance", "fiducial"], values="f1_pct", observed=True)
    for tol in ("150 ms", "50 ms", "CSE 2 SD"):
        print(f"\nF1 (%) at {tol} by method and fiducial:")
        print(f1[tol].round(1).to_string())
    for tol in ("150 ms", "50 ms"):
        print(f"\nF1 (%) at {tol} per lead, ecgfeat out of fold minus the best stock method for that lead and point:")
        piv = by_lead[by_lead.tolerance == tol].pivot_table(index=["lead", "fiducial"], columns="candidate",
                                                           values="f1_pct", observed=True)
        best = piv[[m for m in stock if m in piv.columns]].max(axis=1)
        for arm in (OURS, CONSENSUS):
            print(f"{arm}:")
            print((piv[arm] - best).unstack("fiducial").reindex(LEADS).round(1).to_string())
    for arm in (OURS, CONSENSUS):
        print(f"\nTargets (issue 16), {arm}:")
        for line in targets(table, by_lead, stock, arm):
            print("  " + line)
    paced = paced_records() & {p.name for p in paths}
    print(f"\nQRS points by pacing, F1 (%): the {len(paced)} paced records ({', '.join(sorted(paced, key=int))}; "
          f"ludb.csv's 'Cardiac pacing') and the other {len(paths) - len(paced)}:")
    print(f1_by_pacing(pd.concat(rows, ignore_index=True), paced).round(2).to_string())
    late = late_p_peaks(pd.concat(rows, ignore_index=True))
    print("\nP peaks matched at 150 ms that lie 50-150 ms after LUDB's mark (%): "
          + ", ".join(f"{name} {value:.1f}" for name, value in late.items()))
    review = pd.concat(Parallel(n_jobs=args.n_jobs)(delayed(r_wave_review)(p) for p in paths), ignore_index=True)
    print_r_wave_review(review, inspect.signature(delineate_ecgfeat).parameters["wave_min_mv"].default)
    print("\nLargest gaps at 50 ms (record, lead, point: ecgfeat out of fold vs the best stock method there):")
    print(failure_review(oof, scores, stock).round(1).to_string(index=False))


if __name__ == "__main__":
    main()
