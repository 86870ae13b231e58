"""The ``ecgfeat`` command line: ``fetch``, ``index``, ``features`` and ``study`` (the main job)."""
from __future__ import annotations

import argparse
import datetime as _dt
import logging
import sys
from pathlib import Path
from typing import Sequence

from .exceptions import ChecksumError, DataNotFoundError
from .paths import shared_dir


def _cmd_fetch(args: argparse.Namespace) -> int:
    from .records.fetch import fetch_dataset

    report = fetch_dataset(args.dataset, args.dest, n_records=args.records, sampling_rate=args.rate,
                           base_url=args.base_url, progress=not args.quiet)
    print(f"fetched {args.dataset} into {args.dest}: {len(report.downloaded)} downloaded "
          f"({len(report.resumed)} resumed), {len(report.skipped)} already verified, {report.bytes} bytes")
    return 0


def _summarise(index, qc, out: Path | None) -> None:
    import pandas as pd

    from .records import LabelTable

    table = LabelTable.load()
    pd.set_option("display.width", 160)
    print(f"{len(index)} records indexed (headers only), {len(qc)} QC entries "
          f"({(qc['severity'] == 'error').sum()} errors)")
    summary = index.assign(duration_s=index["n_samples"] / index["sampling_rate"])
    print(summary.groupby(["dataset", "source"]).agg(records=("record_id", "size"),
                                                     rate_hz=("sampling_rate", "median"),
                                                     median_duration_s=("duration_s", "median")).to_string())
    cov = table.coverage(index)
    print("\nlabel-table coverage (codes mapped by any label set):")
    print(cov.drop(columns="unmapped").to_string(index=False))
    y = table.encode(index, "study17")
    print("\nstudy17 positives:", ", ".join(f"{k} {int(v)}" for k, v in (y == 1).sum().items()))
    if out is not None:
        from .records import save_index

        out.mkdir(parents=True, exist_ok=True)
        save_index(index, out / "index.csv")
        qc.to_csv(out / "qc.csv", index=False)
        cov.to_csv(out / "label_coverage.csv", index=False)
        y.to_csv(out / "labels_study17.csv")
        print(f"\nwrote {out}/index.csv, qc.csv, label_coverage.csv, labels_study17.csv")


def _cmd_index(args: argparse.Namespace) -> int:
    import pandas as pd

    from .records import read_index

    parts = [read_index(p, args.dataset) for p in args.paths]
    index = pd.concat([p[0] for p in parts], ignore_index=True)
    qc = pd.concat([p[1] for p in parts], ignore_index=True)
    _summarise(index, qc, Path(args.out) if args.out else None)
    return 0


def _features(index, out: Path, args: argparse.Namespace):
    import numpy as np

    from .features import FeatureConfig, extract_features

    config = FeatureConfig(method=args.method, anchors=args.anchors)
    print(f"\nextracting per-lead features ({config.method}, anchors={config.anchors}) "
          f"for {len(index)} records with {args.n_jobs} workers")
    table = extract_features(index, config, n_jobs=args.n_jobs, chunk_size=16, cache_dir=args.cache_dir,
                             progress=not args.quiet)
    out.mkdir(parents=True, exist_ok=True)
    feats = table.features.copy()
    feats.insert(0, "record_id", index["record_id"].to_numpy())
    feats.insert(1, "dataset", index["dataset"].to_numpy())
    feats.to_parquet(out / "features.parquet")
    table.qc.to_csv(out / "feature_qc.csv", index=False)
    nan_by_lead = {lead: float(np.isnan(table.features.filter(like=f"{lead}__").to_numpy()).mean())
                   for lead in config.leads}
    print(f"{table.features.shape[1]} feature columns ({len(config.leads)} leads); {len(table.qc)} QC entries; "
          "NaN fraction per lead: " + ", ".join(f"{k} {v:.1%}" for k, v in nan_by_lead.items()))
    print(f"wrote {out}/features.parquet, feature_qc.csv")
    return table


def _cmd_features(args: argparse.Namespace) -> int:
    from .records import read_saved_index

    index = read_saved_index(args.index)
    _features(index, Path(args.out), args)
    return 0


def _cmd_study(args: argparse.Namespace) -> int:
    from .study import StudyConfig, run_study

    pipelines = Path(__file__).resolve().parent.parent / "pipelines"
    if args.config:
        cfg = StudyConfig.from_yaml(args.config)
    elif args.data:
        cfg = StudyConfig.from_yaml(pipelines / "shared_sample.yaml") if (pipelines / "shared_sample.yaml").exists() \
            else StudyConfig()
        cfg.name, cfg.source, cfg.folders = "data", "folders", list(args.data)
        if args.train_datasets:
            cfg.train_datasets = args.train_datasets.split(",")
        if args.external_datasets is not None:
            cfg.external_datasets = [d for d in args.external_datasets.split(",") if d]
    elif (shared_dir() / "data").is_dir():
        cfg = StudyConfig.from_yaml(pipelines / "shared_sample.yaml")
    else:
        print("no --data and no shared sample found: running on a SYNTHETIC cohort (conditions planted in known "
              "leads)")
        cfg = StudyConfig.from_yaml(pipelines / "synthetic.yaml")
    if args.synthetic:
        cfg = StudyConfig.from_yaml(pipelines / "synthetic.yaml")
    if args.n_jobs:
        cfg.n_jobs = args.n_jobs
    missing = [f for f in cfg.folders if not Path(f).is_dir()] if cfg.source == "folders" else []
    if missing:
        raise DataNotFoundError(f"data folders not found: {missing}")
    print(f"study '{cfg.name}' ({cfg.source}); writing to {args.artifacts}/")
    out = run_study(cfg, artifacts=args.artifacts, run_id=args.run_id, progress=not args.quiet)
    print(f"report: {out / 'report.md'}")
    print((out / "report.md").read_text().split("## Lead Shapley values")[0][:1500])
    return 0


def _feature_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", default="ecgfeat", choices=["ecgfeat", "dwt", "peak", "prominence", "cwt"],
                   help="delineation: ecgfeat's own or a NeuroKit2 ecg_delineate method")
    p.add_argument("--anchors", default="lead", choices=["lead", "consensus"],
                   help="beats found per lead (leads stay independent) or on all leads together")
    p.add_argument("--n-jobs", type=int, default=2, help="parallel workers (default 2)")
    p.add_argument("--cache-dir", default=".ecgfeat-cache", help="joblib.Memory cache folder")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ecgfeat", description=(
        "How much does each lead of a 12-lead ECG contribute to each diagnosis? "
        "Index WFDB datasets, extract per-lead features, train lead-subset models and value leads with Shapley."))
    p.add_argument("-v", "--verbose", action="store_true", help="log progress and warnings")
    sub = p.add_subparsers(dest="command", required=True)

    f = sub.add_parser("fetch", help="download a PhysioNet dataset (resumable, SHA-256 verified)",
                       description="Download ptb-xl, ecg-arrhythmia or ludb from PhysioNet into DEST. "
                                   "Every file is checked against the dataset's SHA256SUMS.txt; re-running resumes.")
    f.add_argument("dataset", choices=["ptb-xl", "ecg-arrhythmia", "ludb"])
    f.add_argument("--dest", required=True, help="destination folder")
    f.add_argument("--records", type=int, default=None, help="fetch only the first N records")
    f.add_argument("--rate", type=int, choices=[100, 500], default=None, help="PTB-XL sampling rate (Hz)")
    f.add_argument("--base-url", default="https://physionet.org/files", help="PhysioNet files URL (or a mirror)")
    f.add_argument("--quiet", action="store_true", help="no progress bar")
    f.set_defaults(func=_cmd_fetch)

    i = sub.add_parser("index", help="index dataset folders (headers only) and report labels and QC",
                       description="Build a record index from WFDB headers and metadata without reading signals.")
    i.add_argument("paths", nargs="+", help="dataset folders (PTB-XL, ecg-arrhythmia, CinC, LUDB)")
    i.add_argument("--dataset", default="auto", help="layout: auto, ptb-xl, ecg-arrhythmia, cinc2021, ludb")
    i.add_argument("--out", default=None, help="folder for index.csv, qc.csv, label_coverage.csv")
    i.set_defaults(func=_cmd_index)

    s = sub.add_parser("study", help="run the lead-importance study end to end (main job)",
                       description="Run every step (index, features, models for every lead set, lead Shapley, "
                                   "report) from a YAML config (see pipelines/). Without a config: the shared "
                                   "sample if present, else a synthetic cohort with planted abnormalities.")
    s.add_argument("config", nargs="?", default=None, help="study YAML (pipelines/*.yaml)")
    s.add_argument("--data", nargs="*", default=None, help="dataset folders to study instead of the shared sample")
    s.add_argument("--train-datasets", default=None, help="with --data: datasets for training (comma-separated)")
    s.add_argument("--external-datasets", default=None, help="with --data: external test datasets")
    s.add_argument("--synthetic", action="store_true", help="run on the synthetic cohort")
    s.add_argument("--artifacts", default="artifacts", help="output folder (default: artifacts)")
    s.add_argument("--run-id", default=None, help="name of the run folder (default: name + timestamp)")
    s.add_argument("--n-jobs", type=int, default=None, help="parallel workers")
    s.add_argument("--quiet", action="store_true", help="no progress bars")
    s.set_defaults(func=_cmd_study)

    fe = sub.add_parser("features", help="extract per-lead features for an index (cached, parallel)",
                        description="Extract per-lead fiducial, morphology and rhythm features for every record of "
                                    "an index.csv written by 'ecgfeat index --out'.")
    fe.add_argument("index", help="index.csv written by 'ecgfeat index --out DIR'")
    fe.add_argument("--out", required=True, help="folder for features.parquet and feature_qc.csv")
    _feature_options(fe)
    fe.set_defaults(func=_cmd_features)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except (DataNotFoundError, ChecksumError, ValueError, ConnectionError, FileNotFoundError) as exc:
        print(f"ecgfeat {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
