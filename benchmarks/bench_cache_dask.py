"""Cache cold vs warm, and Dask LocalCluster (2 workers) vs joblib, on the CinC-2021 sample, same run.

    .venv/bin/python benchmarks/bench_cache_dask.py [--records N]
"""
from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from _common import cinc_index

from ecgfeat.features import FeatureConfig, extract_features


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=228)
    args = ap.parse_args()
    index = cinc_index().iloc[: args.records]
    cfg = FeatureConfig()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        cold = extract_features(index, cfg, n_jobs=2, chunk_size=8, cache_dir=tmp)
        t_cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = extract_features(index, cfg, n_jobs=2, chunk_size=8, cache_dir=tmp)
        t_warm = time.perf_counter() - t0
    same = cold.features.equals(warm.features)
    print(f"cache on {len(index)} records (2 workers): cold {t_cold:.1f} s, warm {t_warm:.1f} s, "
          f"speed-up {t_cold / t_warm:.1f}x, identical features: {same}")

    from distributed import LocalCluster

    t0 = time.perf_counter()
    jl = extract_features(index, cfg, n_jobs=2, chunk_size=8)
    t_joblib = time.perf_counter() - t0
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        t0 = time.perf_counter()
        dk = extract_features(index, cfg, backend="dask", scheduler=cluster.scheduler_address, chunk_size=8)
        t_dask = time.perf_counter() - t0
    a, b = jl.features.to_numpy(), dk.features.to_numpy()
    identical = np.array_equal(a, b, equal_nan=True) and list(jl.features.index) == list(dk.features.index)
    print(f"joblib (loky, 2 workers): {t_joblib:.1f} s; Dask LocalCluster (2 workers): {t_dask:.1f} s; "
          f"identical feature tables: {identical} ({a.shape[0]} x {a.shape[1]}, "
          f"{int(np.isnan(a).sum())} NaN cells in both)")


if __name__ == "__main__":
    main()
