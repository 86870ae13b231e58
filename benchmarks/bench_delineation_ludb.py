"""Delineation accuracy on LUDB: ecgfeat vs stock NeuroKit2 methods, measured in the same run.

For P onset/peak/offset, QRS onset/peak/offset and T peak/offset: sensitivity, PPV, mean and SD of the timing
error (ms), 150 ms matching tolerance, scored only inside each record's annotated window.

    .venv/bin/python benchmarks/bench_delineation_ludb.py                 # all 200 records, all methods
    .venv/bin/python benchmarks/bench_delineation_ludb.py --records 20 --methods ecgfeat,prominence
"""
from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import pandas as pd
from joblib import Parallel, delayed

from ecgfeat._constants import LEADS
from ecgfeat.features.delineation_scoring import ScoreAccumulator
from ecgfeat.features.ecg_delineate import DELINEATION_METHODS, ecg_delineate
from ecgfeat.paths import shared_dir
from ecgfeat.records import read_record
from ecgfeat.records.ludb import read_annotations

def run_record(path: Path, methods: list[str]) -> tuple[list, dict]:
    warnings.simplefilter("ignore")
    rec = read_record(path)
    ann = {lead: read_annotations(path, lead) for lead in LEADS}
    results, seconds = [], {}
    for method in methods:
        t0 = time.perf_counter()
        name, _, anchors = method.partition("-")  # "ecgfeat-consensus": method ecgfeat, consensus anchors
        d = ecg_delineate(rec.signal.astype(float), rec.sampling_rate, method=name, anchors=anchors or "lead")
        dets = {lead: d.lead(j) for j, lead in enumerate(LEADS)}
        seconds[method] = time.perf_counter() - t0
        results.append((method, dets))
    return [(m, lead, ann[lead], dets[lead]) for m, dets in results for lead in LEADS], seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=200)
    ap.add_argument("--methods", default=",".join(["ecgfeat", "ecgfeat-consensus",
                                                   *[m for m in DELINEATION_METHODS if m != "ecgfeat"]]),
                    help="names from ecgfeat's delineation registry; 'ecgfeat-consensus' = consensus anchors")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--out", default="artifacts/benchmarks")
    args = ap.parse_args()
    methods = args.methods.split(",")
    root = shared_dir() / "reference" / "ludb" / "data"
    paths = [root / str(i) for i in range(1, args.records + 1)]
    t0 = time.perf_counter()
    res = Parallel(n_jobs=args.n_jobs)(delayed(run_record)(p, methods) for p in paths)
    wall = time.perf_counter() - t0
    acc = ScoreAccumulator(500.0)
    secs = {m: 0.0 for m in methods}
    for items, seconds in res:
        for m, lead, ann, det in items:
            acc.add(m, lead, ann, det)
        for m, s in seconds.items():
            secs[m] += s
    overall = acc.summary()
    by_lead = acc.summary(by_lead=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    overall.to_csv(out / "delineation_ludb_overall.csv", index=False)
    by_lead.to_csv(out / "delineation_ludb_by_lead.csv", index=False)
    pd.set_option("display.width", 200)
    print(f"LUDB delineation, {len(paths)} records x 12 leads, tolerance 150 ms, wall {wall:.0f} s")
    print("time per record (s, one core):", {m: round(s / len(paths), 3) for m, s in secs.items()})
    fid_order = ["p_on", "p_peak", "p_off", "qrs_on", "r_peak", "qrs_peak", "qrs_off", "t_on", "t_peak", "t_off"]
    overall["fiducial"] = pd.Categorical(overall["fiducial"], fid_order)
    print(overall.sort_values(["fiducial", "method"]).round(1).to_string(index=False))
    # per-lead F1 table for ecgfeat vs best stock method
    by_lead["f1"] = 2 * by_lead.sensitivity_pct * by_lead.ppv_pct / (by_lead.sensitivity_pct + by_lead.ppv_pct)
    print("\nF1 (%) per lead and fiducial:")
    print(by_lead.pivot_table(index=["method", "lead"], columns="fiducial", values="f1")
          .reindex(columns=fid_order).round(1).to_string())


if __name__ == "__main__":
    main()
