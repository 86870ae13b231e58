"""Feature quality control on every record of the shared sample: which leads lose their features and which single
values are set to NaN as implausible, under the current feature schema.

Off LUDB, this is where delineation failures show: a lead whose QRS bounds or beats go wrong gives values outside
the physiological ranges (``ecgfeat.features.record_features.FEATURE_RANGES``), or no features at all.

    .venv/bin/python benchmarks/bench_feature_qc.py [--n-jobs 2]
"""
from __future__ import annotations

import argparse
import logging

import pandas as pd

from ecgfeat.features import FEATURE_SCHEMA_VERSION, FeatureConfig, extract_features
from ecgfeat.features.extract_features import summarise_feature_qc
from ecgfeat.paths import shared_dir
from ecgfeat.records import read_indexes, shared_sample_roots


def implausible_values(qc: pd.DataFrame) -> pd.DataFrame:
    """Per feature: how many values were set to NaN as implausible, in how many records, below and above range."""
    values = qc[qc.severity == "info"].copy()
    parsed = values.problem.str.extract(r"implausible (?P<feature>\w+) = (?P<value>[-\d.e+]+) \(accepted "
                                        r"(?P<low>[-\d.e+]+) to (?P<high>[-\d.e+]+)\)")
    values = values.join(parsed.astype({"value": float, "low": float, "high": float}))
    return (values.assign(below=values.value < values.low, above=values.value > values.high)
            .groupby("feature").agg(values=("record_id", "size"), records=("record_id", "nunique"),
                                    below=("below", "sum"), above=("above", "sum")).reset_index())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    index, _ = read_indexes(shared_sample_roots(shared_dir()))
    table = extract_features(index, FeatureConfig(), n_jobs=args.n_jobs)
    print(f"Feature QC on the shared sample: {len(index)} records ({', '.join(sorted(index.dataset.unique()))}), "
          f"feature schema {FEATURE_SCHEMA_VERSION}")
    print(summarise_feature_qc(table.qc))
    print("\nimplausible single values (set to NaN), per feature:")
    print(implausible_values(table.qc).to_string(index=False))


if __name__ == "__main__":
    main()
