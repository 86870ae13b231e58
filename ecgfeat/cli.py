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
                             progress=not args.quiet, backend="dask" if args.scheduler else "loky",
                             scheduler=args.scheduler)
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
    if args.scheduler:
        cfg.scheduler = args.scheduler
    missing = [f for f in cfg.folders if not Path(f).is_dir()] if cfg.source == "folders" else []
    if missing:
        raise DataNotFoundError(f"data folders not found: {missing}")
    print(f"study '{cfg.name}' ({cfg.source}); writing to {args.artifacts}/")
    out = run_study(cfg, artifacts=args.artifacts, run_id=args.run_id, progress=not args.quiet)
    print(f"report: {out / 'report.md'}")
    print((out / "report.md").read_text().split("## Lead Shapley values")[0][:1500])
    return 0


def _read_xy(features: str, labels: str | None):
    import pandas as pd

    X = pd.read_parquet(features)
    keys = ["record_id", "dataset"]
    if labels is None:
        return X.drop(columns=[c for c in keys if c in X]), None, X
    Y = pd.read_csv(labels, dtype={"record_id": str})
    on = [k for k in keys if k in X and k in Y]
    merged = X.merge(Y, on=on, how="inner", suffixes=("", "__label"))
    if merged.empty:
        raise ValueError(f"no record of {labels} matches {features} on {on}")
    label_cols = [c for c in Y.columns if c not in keys]
    return merged[[c for c in X.columns if c not in keys]], merged[label_cols], merged


def _cmd_train(args: argparse.Namespace) -> int:
    from .models.classifier import LeadGroupedXGBClassifier

    X, Y, _ = _read_xy(args.features, args.labels)
    if args.label:
        Y = Y[args.label]
    model = LeadGroupedXGBClassifier(leads=args.leads, lead_dropout=args.lead_dropout,
                                     random_state=args.seed).fit(X, Y)
    model.save(args.out)
    print(f"trained {len(model.labels_)} labels on {len(X)} records, leads {model.lead_groups_.names}; "
          f"saved to {args.out}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .models.classifier import LeadGroupedXGBClassifier
    from .models.metrics import evaluate_labels

    model = LeadGroupedXGBClassifier.load(args.model)
    X, Y, _ = _read_xy(args.features, args.labels)
    Y = Y[model.labels_]
    res = evaluate_labels(Y, model.predict_label_proba(X), thresholds=model.thresholds_, labels=model.labels_,
                          min_positives=args.min_positives, n_boot=args.boot)
    print(res.round(3).to_string(index=False))
    if args.out:
        res.to_csv(args.out, index=False)
    return 0


def _cmd_importance(args: argparse.Namespace) -> int:
    import pandas as pd

    from .importance import GlobalScoreGame, MaskedModelGame, lead_shapley
    from .models.classifier import LeadGroupedXGBClassifier

    model = LeadGroupedXGBClassifier.load(args.model)
    X, Y, _ = _read_xy(args.features, args.labels)
    X = X.iloc[: args.max_rows]
    if args.game == "global":
        if Y is None:
            raise ValueError("--game global needs --labels")
        game = GlobalScoreGame(model.predict_label_proba, X, Y[model.labels_].iloc[: args.max_rows],
                               model.lead_groups_, score="auroc", outputs=model.labels_)
    else:
        game = MaskedModelGame(model.predict_label_proba, X, model.lead_groups_, outputs=model.labels_)
    res = lead_shapley(game, args.method, random_state=args.seed, tol=args.tol)
    table = pd.DataFrame(res.values[0].T if args.game == "global" else res.mean_abs().T.to_numpy(),
                         index=res.outputs, columns=res.players)
    print(f"{res.method} lead Shapley ({game.description}); {res.n_evaluations} coalitions")
    print(table.round(4).to_string())
    if args.out:
        table.to_csv(args.out)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .study import redraw_report

    print(f"report: {redraw_report(Path(args.run))}")
    return 0


def _feature_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", default="ecgfeat", choices=["ecgfeat", "dwt", "peak", "prominence", "cwt"],
                   help="delineation: ecgfeat's own or a NeuroKit2 ecg_delineate method")
    p.add_argument("--anchors", default="lead", choices=["lead", "consensus"],
                   help="beats found per lead (leads stay independent) or on all leads together")
    p.add_argument("--n-jobs", type=int, default=2, help="parallel workers (default 2)")
    p.add_argument("--cache-dir", default=".ecgfeat-cache", help="joblib.Memory cache folder")
    p.add_argument("--scheduler", default=None, help="dask.distributed scheduler address (e.g. tcp://host:8786)")
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
    s.add_argument("--scheduler", default=None, help="dask.distributed scheduler address for feature extraction")
    s.add_argument("--quiet", action="store_true", help="no progress bars")
    s.set_defaults(func=_cmd_study)

    t = sub.add_parser("train", help="train a lead-grouped XGBoost model on a features table",
                       description="Train LeadGroupedXGBClassifier on features.parquet and labels.csv (as written "
                                   "by 'ecgfeat study'); saves XGBoost JSON + manifest.json.")
    t.add_argument("--features", required=True, help="features.parquet (record_id, dataset, feature columns)")
    t.add_argument("--labels", required=True, help="labels.csv (record_id, dataset, one 0/1 column per label)")
    t.add_argument("--label", nargs="*", default=None, help="train only these labels")
    t.add_argument("--leads", default="12-lead", help="lead set: catalogue name or comma/+ list (default 12-lead)")
    t.add_argument("--lead-dropout", type=float, default=0.0, help="probability of dropping a lead in training")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", required=True, help="model folder")
    t.set_defaults(func=_cmd_train)

    e = sub.add_parser("evaluate", help="per-label AUROC/AUPRC/F1 with bootstrap CIs for a saved model",
                       description="Evaluate a saved model on a features table with labels.")
    e.add_argument("--model", required=True)
    e.add_argument("--features", required=True)
    e.add_argument("--labels", required=True)
    e.add_argument("--min-positives", type=int, default=5, help="score only labels with this many positives")
    e.add_argument("--boot", type=int, default=1000, help="bootstrap replicates")
    e.add_argument("--out", default=None, help="CSV of the results")
    e.set_defaults(func=_cmd_evaluate)

    im = sub.add_parser("importance", help="lead Shapley values of a saved model",
                        description="Lead Shapley values: local (mean |value| of the predicted probability) or "
                                    "global (held-out AUROC, needs --labels); exact or Monte Carlo.")
    im.add_argument("--model", required=True)
    im.add_argument("--features", required=True)
    im.add_argument("--labels", default=None)
    im.add_argument("--game", choices=["local", "global"], default="local")
    im.add_argument("--method", choices=["auto", "exact", "permutation", "regression"], default="auto")
    im.add_argument("--tol", type=float, default=0.01, help="Monte Carlo stopping tolerance")
    im.add_argument("--max-rows", type=int, default=500, help="records to explain")
    im.add_argument("--seed", type=int, default=0)
    im.add_argument("--out", default=None, help="CSV (labels x leads)")
    im.set_defaults(func=_cmd_importance)

    r = sub.add_parser("report", help="redraw the figures and report.md of a study run from its tables",
                       description="Rebuild report figures from artifacts/<run>/tables (e.g. after editing plots).")
    r.add_argument("run", help="run folder (artifacts/<run>)")
    r.set_defaults(func=_cmd_report)

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
