"""Delineation at other sampling rates: LUDB (500 Hz) resampled to 250, 360 and 1000 Hz (and kept at 500 Hz),
delineated with ecgfeat's shipped defaults and scored against LUDB's annotations moved to the new sample grid.

A delineator whose points do not depend on the sampling rate scores the same at every rate; the differences are
what a database recorded at another rate (QTDB 250 Hz, INCART 257 Hz, MIT-BIH 360 Hz, PTB 1000 Hz) loses to
the rate alone. Resampling is polyphase with scipy's anti-aliasing filter (``resample_poly``), as a recorder
sampling at that rate would low-pass. Nothing is tuned here: the parameters are those chosen by
``bench_delineation_cv.py`` at 500 Hz, so this is in-sample on LUDB for every rate alike; the rate-to-rate
differences are the result. Scored as in ``bench_delineation_cv.py`` (the conventions it prints).

    .venv/bin/python benchmarks/bench_delineation_rates.py [--records 200] [--rates 250,360,500,1000] [--n-jobs 2]
"""
from __future__ import annotations

import argparse
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.signal import resample_poly

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_delineation_cv import FIDUCIAL_ORDER  # noqa: E402

from ecgfeat.features.delineation_scoring import ScoreAccumulator  # noqa: E402
from ecgfeat.features.delineation_tuning import record_scores, timing_summary  # noqa: E402
from ecgfeat.features.ecg_delineate import ecg_delineate  # noqa: E402
from ecgfeat.paths import shared_dir  # noqa: E402
from ecgfeat.records import read_record  # noqa: E402
from ecgfeat.records.ludb import read_annotations  # noqa: E402

LUDB_RATE = 500


def resampled(signal: np.ndarray, rate: int) -> np.ndarray:
    """``signal`` (samples × leads, 500 Hz) at ``rate`` Hz (polyphase, anti-aliased)."""
    if rate == LUDB_RATE:
        return signal
    ratio = Fraction(rate, LUDB_RATE)
    return resample_poly(signal, ratio.numerator, ratio.denominator, axis=0)


def moved_annotations(annotations: pd.DataFrame, rate: int) -> pd.DataFrame:
    """LUDB's annotation samples (500 Hz; −1 where absent) on the grid of ``rate`` Hz, to the nearest sample."""
    out = annotations.copy()
    for column in ("onset", "peak", "offset"):
        values = out[column].to_numpy()
        out[column] = np.where(values >= 0, np.rint(values * rate / LUDB_RATE), -1).astype(int)
    return out


def score_record(path: Path, rates: list[int]) -> pd.DataFrame:
    """One record's scores at 150 and 50 ms for each rate (candidate = "<rate> Hz")."""
    record = read_record(path)
    annotations = {lead: read_annotations(path, lead) for lead in record.leads}
    parts = []
    for rate in rates:
        d = ecg_delineate(resampled(record.signal.astype(float), rate), float(rate))
        moved = {lead: moved_annotations(annotations[lead], rate) for lead in record.leads}
        accumulators = [ScoreAccumulator(float(rate), 150.0), ScoreAccumulator(float(rate), 50.0)]
        for acc in accumulators:
            for j, lead in enumerate(record.leads):
                acc.add("ecgfeat", lead, moved[lead], d.lead(j))
        parts.append(record_scores(path.name, f"{rate} Hz", accumulators))
    return pd.concat(parts, ignore_index=True)


def rate_table(scores: pd.DataFrame, rates: list[int]) -> pd.DataFrame:
    """F1 (%) at 150 and 50 ms and bias / SD (ms, at 150 ms) per point and rate."""
    summary = timing_summary(scores)
    summary["fiducial"] = pd.Categorical(summary["fiducial"], FIDUCIAL_ORDER)
    f1 = summary.pivot_table(index="fiducial", columns=["tolerance", "candidate"], values="f1_pct", observed=True)
    at150 = summary[summary.tolerance == "150 ms"]
    timing = at150.pivot_table(index="fiducial", columns="candidate", values=["bias_ms", "sd_ms"], observed=True)
    columns = [f"{r} Hz" for r in rates]
    return pd.concat({"F1 150 ms": f1["150 ms"][columns], "F1 50 ms": f1["50 ms"][columns],
                      "bias ms": timing["bias_ms"][columns], "SD ms": timing["sd_ms"][columns]}, axis=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=200)
    ap.add_argument("--rates", default="250,360,500,1000")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("artifacts/benchmarks"))
    args = ap.parse_args()
    rates = [int(r) for r in args.rates.split(",") if r]
    if not rates or min(rates) < 100:
        ap.error("rates must be at least 100 Hz")
    root = shared_dir() / "reference" / "ludb" / "data"
    paths = [root / str(i) for i in range(1, args.records + 1)]
    t0 = time.perf_counter()
    scores = pd.concat(Parallel(n_jobs=args.n_jobs)(delayed(score_record)(p, rates) for p in paths),
                       ignore_index=True)
    table = rate_table(scores, rates)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "delineation_ludb_rates.csv")
    pd.set_option("display.width", 250)
    print(f"LUDB, {len(paths)} records x 12 leads resampled from {LUDB_RATE} Hz to {rates} Hz; ecgfeat's shipped "
          f"defaults; wall {time.perf_counter() - t0:.0f} s")
    print(table.round(1).to_string())
    reference = f"{max(rates)} Hz"
    for rate in rates:
        if f"{rate} Hz" == reference:
            continue
        shift = (table["bias ms"][f"{rate} Hz"] - table["bias ms"][reference]).abs()
        drop = table["F1 50 ms"][reference] - table["F1 50 ms"][f"{rate} Hz"]
        print(f"{rate} Hz against {reference}: largest bias shift {shift.max():.1f} ms ({shift.idxmax()}), "
              f"largest F1 loss at 50 ms {drop.max():.1f} points ({drop.idxmax()})")


if __name__ == "__main__":
    main()
