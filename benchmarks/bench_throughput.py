"""Feature-extraction throughput on the CinC-2021 sample: ecgfeat vs a plain NeuroKit2 loop, same run.

Baseline: a plain loop calling ``nk.ecg_process`` on each lead of each record (one process), as a user
would write it. ecgfeat: ``extract_features`` (all 12 leads, default config, no cache) with 1 and 2 workers.
Both arms run on the same records; each arm runs in a fresh interpreter so its peak memory is its own.
ecgfeat's per-beat loops are compiled by numba, cached on disk: the ratios are for a warm cache (every run after
the first on a machine); the one-off cost, paid by each process while the cache is empty, is printed beside them.

    .venv/bin/python benchmarks/bench_throughput.py                       # baseline on 40 records
    .venv/bin/python benchmarks/bench_throughput.py --baseline-records 228
    .venv/bin/python benchmarks/bench_throughput.py --breakdown 228     # where one record's time goes, one core
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

from _common import cinc_index, peak_rss_mb, run_arm

FULL_DATASET = 45152  # records in "A large scale 12-lead ECG database for arrhythmia study"


def arm(name: str, n_records: int, n_jobs: int) -> dict:
    index = cinc_index().iloc[:n_records]
    seconds_of_ecg = float((index.n_samples / index.sampling_rate).sum())
    if name == "first_call":  # numba's compile (empty cache) or cache load: first record's features, then again
        from ecgfeat.features import FeatureConfig
        from ecgfeat.features.record_features import extract_record_features
        from ecgfeat.records import load_record

        rec = load_record(index.iloc[0])
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            extract_record_features(rec, FeatureConfig(), log=False)
            times.append(time.perf_counter() - t0)
        return {"arm": name, "first_s": times[0], "second_s": times[1]}
    t0 = time.perf_counter()
    if name == "neurokit_loop":
        import neurokit2 as nk

        from ecgfeat.records import load_record

        warnings.simplefilter("ignore")
        for _, row in index.iterrows():
            rec = load_record(row)
            for j in range(rec.signal.shape[1]):
                try:
                    nk.ecg_process(rec.signal[:, j], sampling_rate=rec.sampling_rate)
                except Exception:
                    pass
    else:
        from ecgfeat.features import FeatureConfig, extract_features

        extract_features(index, FeatureConfig(), n_jobs=n_jobs, chunk_size=8)
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)  # join workers so their peak memory is counted
    wall = time.perf_counter() - t0
    return {"arm": name, "n_jobs": n_jobs, "records": len(index), "ecg_seconds": seconds_of_ecg,
            "wall_s": wall, "records_per_s": len(index) / wall, **peak_rss_mb()}


def breakdown(n_records: int) -> None:
    """Per-record time of each stage, one process: reading, cleaning (the band-pass and 15 Hz filters and the QRS
    energy signal), the rest of the delineation, and features with their quality checks (the whole record's
    extraction minus its delineation). Each stage is timed on its own call; best of 2 passes."""
    import logging

    import numpy as np

    from ecgfeat.features import FeatureConfig
    from ecgfeat.features.ecg_clean import bandpass, ecg_clean
    from ecgfeat.features.ecg_delineate import _energy, ecg_delineate
    from ecgfeat.features.record_features import extract_record_features
    from ecgfeat.records import load_record

    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    index = cinc_index().iloc[:n_records]
    records = [load_record(row) for _, row in index.iterrows()]
    stages = {"read": 0.0, "clean": 0.0, "delineate": 0.0, "extract": 0.0}
    for stage in stages:
        best = np.inf
        for _ in range(2):
            t0 = time.perf_counter()
            for (_, row), rec in zip(index.iterrows(), records):
                if stage == "read":
                    load_record(row)
                elif stage == "clean":
                    cleaned = ecg_clean(np.nan_to_num(rec.signal.astype(np.float64)), rec.sampling_rate)
                    bandpass(cleaned, rec.sampling_rate, None, 15.0)
                    _energy(cleaned, rec.sampling_rate)
                elif stage == "delineate":
                    ecg_delineate(rec.signal.astype(np.float64), rec.sampling_rate)
                else:
                    extract_record_features(rec, FeatureConfig(), log=False)
            best = min(best, time.perf_counter() - t0)
        stages[stage] = best / len(records)
    total = stages["read"] + stages["extract"]
    parts = {"reading": stages["read"], "cleaning": stages["clean"],
             "delineation (after cleaning)": stages["delineate"] - stages["clean"],
             "features + quality checks": stages["extract"] - stages["delineate"]}
    print(f"Per-record time on {len(records)} CinC-2021 sample records, one core (ms; share of read + extract)")
    for name, sec in parts.items():
        print(f"  {name:<30}{1000 * sec:8.1f} ms {100 * sec / total:6.1f} %")
    print(f"  {'total':<30}{1000 * total:8.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arm", nargs=3, metavar=("NAME", "RECORDS", "JOBS"), help=argparse.SUPPRESS)
    ap.add_argument("--baseline-records", type=int, default=40)
    ap.add_argument("--breakdown", type=int, metavar="RECORDS", help="only print where each record's time goes")
    args = ap.parse_args()
    if args.breakdown:
        breakdown(args.breakdown)
        return
    if args.arm:
        print(json.dumps(arm(args.arm[0], int(args.arm[1]), int(args.arm[2]))))
        return
    me = Path(__file__)
    n_all = len(cinc_index())
    nb = min(args.baseline_records, n_all)
    rows = [run_arm(me, "neurokit_loop", str(nb), "1"),
            run_arm(me, "ecgfeat", str(nb), "1"), run_arm(me, "ecgfeat", str(nb), "2"),
            run_arm(me, "ecgfeat", str(n_all), "2")]
    base = rows[0]["records_per_s"]
    print(f"Throughput on the CinC-2021 sample (first {nb} records for the ratio; 2 cores)")
    print(f"{'arm':<15}{'jobs':>5}{'records':>9}{'wall s':>9}{'rec/s':>8}{'x baseline':>11}"
          f"{'peak MB main':>14}{'peak MB worker':>16}")
    for r in rows:
        print(f"{r['arm']:<15}{r['n_jobs']:>5}{r['records']:>9}{r['wall_s']:>9.1f}{r['records_per_s']:>8.2f}"
              f"{r['records_per_s'] / base:>11.1f}{r['peak_rss_main_mb']:>14.0f}{r['peak_rss_largest_worker_mb']:>16.0f}")
    with tempfile.TemporaryDirectory() as cache:
        cold = run_arm(me, "first_call", "1", "1", env={"NUMBA_CACHE_DIR": cache})
        warm = run_arm(me, "first_call", "1", "1", env={"NUMBA_CACHE_DIR": cache})
    print(f"compiled kernels, once per process: {cold['first_s'] - cold['second_s']:.1f} s to compile with an "
          f"empty numba cache (first machine run), {warm['first_s'] - warm['second_s']:.2f} s to load from the cache")
    full = rows[-1]
    per_rec = full["wall_s"] / full["records"]
    # the sample's records are longer on average (PTB: up to 115 s) than ecg-arrhythmia's 10 s ones
    per_ecg_s = full["wall_s"] / full["ecg_seconds"]
    print(f"\nprojection for {FULL_DATASET} records: {FULL_DATASET * per_rec / 3600:.2f} h at this sample's mean "
          f"duration; {FULL_DATASET * 10 * per_ecg_s / 3600:.2f} h for 10-s records (2 cores, ecgfeat); "
          f"baseline loop: {FULL_DATASET / base / 3600:.1f} h")


if __name__ == "__main__":
    main()
