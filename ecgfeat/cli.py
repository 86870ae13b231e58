"""The ``ecgfeat`` command line.

The main job is ``ecgfeat study [NAME|PATH]``. Step by step: ``index → features → train → evaluate →
importance → report``, and ``explain RECORD`` for one record. Every user error ends with a one-line message and
exit code 2 (``-v`` shows the traceback); anything else is a bug and raises.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from . import __version__
from ._parallel import check_n_jobs, worker_count
from .artifacts import (FEATURES_FILE, LABELS_FILE, KEYS, LabelledFeatures, join_features_labels, label_columns,
                        read_features, read_labels, record_keys, write_features)
from .exceptions import ConfigError, DataNotFoundError, EcgfeatError, UsageError
from .features import FeatureConfig, extract_features
from .features.extract_features import summarise_feature_qc
from .features.ecg_delineate import DELINEATION_METHODS
from .importance import GlobalScoreGame, MaskedModelGame, lead_shapley
from .importance.inference import exact_global_draws, lead_importance_table, multiplier_weights
from .models.classifier import LeadGroupedXGBClassifier
from .models.metrics import evaluate_labels
from .paths import shared_dir
from .records import LabelTable, read_indexes, read_saved_index, save_index
from .records.fetch import fetch_dataset
from .records.splits import split_table
from .study import NAMED_CONFIGS, StudyConfig, redraw_report, run_study

logger = logging.getLogger("ecgfeat")

TRAINING_RECORDS_FILE = "training_records.csv"


# ------------------------------------------------------------------------------------------------- helpers
def _n_jobs(value: str) -> int:
    """argparse type: -1 (every core) or 1..cores; more than the cores is capped with a warning."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    try:
        check_n_jobs(n)
    except ConfigError:
        raise argparse.ArgumentTypeError("must be -1 (every core) or a positive number of workers") from None
    cores = os.cpu_count() or 1
    if n > cores:
        print(f"ecgfeat: warning: --n-jobs {n} exceeds the {cores} cores of this machine; using {cores}",
              file=sys.stderr)
    return worker_count(min(n, cores))


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def _fraction(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0 <= x < 1:
        raise argparse.ArgumentTypeError("must be in [0, 1)")
    return x


def _output_folder(folder: str | Path) -> Path:
    """Create ``folder`` and prove it writable before any work starts (not after an hour of extraction)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".ecgfeat-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write to the output folder {folder}: {exc.strerror}") from None
    return folder


def _strict_exit(args: argparse.Namespace, qc: pd.DataFrame, what: str) -> int:
    """0, or 1 with ``--strict`` when ``qc`` lists errors (the outputs are written either way)."""
    errors = int((qc["severity"] == "error").sum()) if len(qc) else 0
    if errors and getattr(args, "strict", False):
        print(f"ecgfeat {args.command}: {errors} {what} refused (see the QC table); exit 1 (--strict)",
              file=sys.stderr)
        return 1
    return 0


def _load_model(folder: str) -> LeadGroupedXGBClassifier:
    path = Path(folder)
    if not (path / "manifest.json").is_file():
        raise DataNotFoundError(f"{path} is not a model folder (no manifest.json); write one with 'ecgfeat train'")
    try:
        return LeadGroupedXGBClassifier.load(path)
    except EcgfeatError:
        raise
    except (ValueError, KeyError, OSError) as exc:
        raise UsageError(f"{path}: cannot load the model ({type(exc).__name__}: {exc})") from None


def _labelled(features: str, labels: str) -> LabelledFeatures:
    return join_features_labels(read_features(features), read_labels(labels))


def _scoring_records(data: LabelledFeatures, model_folder: str, split: str, allow_training: bool,
                     ) -> LabelledFeatures:
    """The records to score: the chosen split, never the model's training records unless allowed."""
    if split != "all":
        if data.split is None:
            raise UsageError("the labels table has no 'split' column; write it with 'ecgfeat index --out DIR' "
                            "or pass --split all")
        data = data.select(data.split == split)
        if not len(data.X):
            raise UsageError(f"no record of the '{split}' split is in both the features and the labels table")
    trained_on = Path(model_folder) / TRAINING_RECORDS_FILE
    if trained_on.is_file():
        seen = record_keys(pd.read_csv(trained_on, dtype=str))
        overlap = sum(k in seen for k in zip(data.keys["record_id"], data.keys["dataset"]))
        if overlap:
            msg = (f"{overlap} of the {len(data.X)} records to score were used to train the model: their scores "
                   "are optimistic")
            if not allow_training:
                raise UsageError(msg + "; score held-out records (--split test) or pass --allow-training-records")
            print(f"WARNING: {msg}.", file=sys.stderr)
    else:
        print(f"WARNING: {model_folder} does not list its training records ({TRAINING_RECORDS_FILE}); cannot check "
              "that the scored records are held out.", file=sys.stderr)
    return data


def _model_labels(model: LeadGroupedXGBClassifier, data: LabelledFeatures) -> None:
    missing = [lab for lab in model.labels_ if lab not in data.Y.columns]
    if missing:
        raise UsageError(f"the labels table has no column for the model's labels {missing}")


# ------------------------------------------------------------------------------------------------ commands
def _cmd_fetch(args: argparse.Namespace) -> int:
    report = fetch_dataset(args.dataset, args.dest, n_records=args.records, sampling_rate=args.rate,
                           base_url=args.base_url, progress=not args.quiet)
    print(f"fetched {args.dataset} into {args.dest}: {len(report.downloaded)} downloaded "
          f"({len(report.resumed)} resumed), {len(report.skipped)} already verified, {report.bytes} bytes")
    return 0


def _cmd_index(args: argparse.Namespace) -> int:
    if args.out is not None:
        _output_folder(args.out)
    index, qc = read_indexes(args.paths, args.dataset)
    if index.empty:
        raise DataNotFoundError(f"no record found in {', '.join(args.paths)} ({len(qc)} QC entries)")
    table = LabelTable.load()
    if args.label_set not in table.label_sets:
        raise UsageError(f"unknown label set {args.label_set!r}; choose from {sorted(table.label_sets)}")
    pd.set_option("display.width", 160)
    print(f"{len(index)} records indexed (headers only), {len(qc)} QC entries "
          f"({(qc['severity'] == 'error').sum()} errors)")
    summary = index.assign(duration_s=index["n_samples"] / index["sampling_rate"])
    print(summary.groupby(["dataset", "source"]).agg(records=("record_id", "size"),
                                                     rate_hz=("sampling_rate", "median"),
                                                     median_duration_s=("duration_s", "median")).to_string())
    cov = table.coverage(index)
    print("\nlabel-table coverage (codes mapped by any label set):")
    print(cov.drop(columns="unmapped", errors="ignore").to_string(index=False))
    y = table.encode(index, args.label_set).reset_index(drop=True)
    print(f"\n{args.label_set} positives:", ", ".join(f"{k} {int(v)}" for k, v in (y == 1).sum().items()))
    if args.out is None:
        return 0
    labels = split_table(index, y, n_folds=args.n_folds, test_fold=args.test_fold, random_state=args.seed)
    test = labels["split"] == "test"
    print(f"split: {int((~test).sum())} training records (folds ≠ {args.test_fold or args.n_folds}), "
          f"{int(test.sum())} held-out test records; records of one patient or the same ECG share a fold")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    save_index(index, out / "index.csv")
    qc.to_csv(out / "qc.csv", index=False)
    cov.to_csv(out / "label_coverage.csv", index=False)
    labels.to_csv(out / LABELS_FILE, index=False)
    print(f"\nwrote {out}/index.csv, qc.csv, label_coverage.csv, {LABELS_FILE} (record_id, dataset, fold, split, "
          f"{args.label_set} labels)")
    return _strict_exit(args, qc, "records")


def _cmd_features(args: argparse.Namespace) -> int:
    _output_folder(args.out)
    index = read_saved_index(args.index)
    config = FeatureConfig(method=args.method, anchors=args.anchors)
    print(f"extracting per-lead features ({config.method}, anchors={config.anchors}) for {len(index)} records "
          f"with {args.n_jobs} workers")
    table = extract_features(index, config, n_jobs=args.n_jobs, chunk_size=16, cache_dir=args.cache_dir,
                             progress=not args.quiet, backend="dask" if args.scheduler else "loky",
                             scheduler=args.scheduler, log_lead_problems=args.verbose)
    out = Path(args.out)
    write_features(table.features, index, out / FEATURES_FILE)
    table.qc.to_csv(out / "feature_qc.csv", index=False)
    nan_by_lead = {lead: float(np.isnan(table.features.filter(like=f"{lead}__").to_numpy()).mean())
                   for lead in config.leads}
    print(f"{table.features.shape[1]} feature columns ({len(config.leads)} leads); NaN fraction per lead: "
          + ", ".join(f"{k} {v:.1%}" for k, v in nan_by_lead.items()))
    print(f"QC: {summarise_feature_qc(table.qc)} (details in {out}/feature_qc.csv)")
    print(f"wrote {out}/{FEATURES_FILE}, feature_qc.csv")
    return _strict_exit(args, table.qc, "records")


def _cmd_train(args: argparse.Namespace) -> int:
    _output_folder(args.out)
    data = _labelled(args.features, args.labels)
    if args.all_records:
        where = "all records"
    else:
        if data.split is None:
            raise UsageError(f"{args.labels} has no 'split' column, so the held-out records are unknown; write labels "
                             "with 'ecgfeat index --out DIR' or pass --all-records")
        data = data.select(data.split == "train")
        where = "the training split"
    labels = label_columns(pd.concat([data.keys, data.Y], axis=1))
    if args.label:
        unknown = [lab for lab in args.label if lab not in labels]
        if unknown:
            raise UsageError(f"unknown label(s) {unknown}; the labels table has {labels}")
        labels = list(args.label)
    positives = (data.Y[labels] == 1).sum()
    skipped = [lab for lab in labels if positives[lab] < args.min_positives]
    labels = [lab for lab in labels if lab not in skipped]
    if not labels:
        raise UsageError(f"no label has {args.min_positives} positive(s) among the {len(data.X)} records of {where}")
    model = LeadGroupedXGBClassifier(leads=args.leads, lead_dropout=args.lead_dropout, random_state=args.seed)
    model.fit(data.X, data.Y[labels])
    model.save(args.out)
    data.keys.to_csv(Path(args.out) / TRAINING_RECORDS_FILE, index=False)
    print(f"trained {len(model.labels_)} labels ({', '.join(model.labels_)}) on {len(data.X)} records of {where}, "
          f"leads {', '.join(model.lead_groups_.names)}; saved to {args.out}")
    if skipped:
        print("skipped (fewer than %d positives in %s): %s" % (args.min_positives, where, ", ".join(
            f"{lab} ({int(positives[lab])})" for lab in skipped)))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    data = _scoring_records(_labelled(args.features, args.labels), args.model, args.split,
                            args.allow_training_records)
    _model_labels(model, data)
    Y = data.Y[model.labels_]
    res = evaluate_labels(Y, model.predict_label_proba(data.X), thresholds=model.thresholds_, labels=model.labels_,
                          min_positives=args.min_positives, n_boot=args.boot)
    print(f"{len(data.X)} records of the '{args.split}' split; AUROC/AUPRC/F1 with 95 % bootstrap CIs "
          f"({args.boot} replicates); labels with fewer than {args.min_positives} positives are not scored")
    print(res.round(3).to_string(index=False))
    if args.out:
        res.to_csv(args.out, index=False)
    return 0


def _cmd_importance(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    data = _scoring_records(_labelled(args.features, args.labels), args.model, args.split,
                            args.allow_training_records)
    _model_labels(model, data)
    X = data.X.iloc[: args.max_rows]
    Y = data.Y[model.labels_].iloc[: args.max_rows]
    priors = getattr(model, "priors_", None)
    if args.game == "global":  # exact (4,096 coalitions) with 95 % CIs over the scored records
        game = GlobalScoreGame(model.predict_label_proba, X, Y, model.lead_groups_, score="auroc",
                               outputs=model.labels_, empty_output=priors)
        print(f"lead Shapley ({game.description}) on {len(X)} records of the '{args.split}' split; 95 % CIs over "
              f"records ({args.draws} multiplier-bootstrap draws of DeLong contributions)")
        draws = exact_global_draws(game, multiplier_weights(len(X), args.draws, args.seed), value_function="missing",
                                   progress=not args.quiet)
        n_pos = {lab: int((Y[lab] == 1).sum()) for lab in model.labels_}
        n_neg = {lab: int((Y[lab] == 0).sum()) for lab in model.labels_}
        table = lead_importance_table([draws], n_pos, n_neg, args.min_positives)
        few = [lab for lab in model.labels_ if lab in set(table.label[table.status == "insufficient"])]
        if few:
            print(f"not ranked (fewer than {args.min_positives} positives or negatives among the scored records): "
                  + ", ".join(f"{lab} ({n_pos[lab]}+/{n_neg[lab]}-)" for lab in few))
        for lab in model.labels_:
            if lab in few:
                continue
            part = table[table.label == lab].sort_values("estimate", ascending=False)
            print(f"{lab} (n+={n_pos[lab]}, n-={n_neg[lab]}): " + "; ".join(
                f"{r.lead} {r.estimate:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}] P(top1) {r.p_top1:.2f}"
                + (" *" if r.p_holm < 0.05 else "") for r in part.head(5).itertuples()))
        print("* the lead adds to the AUROC (Holm-adjusted over the 12 leads, p < 0.05); full table with --out")
    else:
        game = MaskedModelGame(model.predict_label_proba, X, model.lead_groups_, outputs=model.labels_,
                               empty_output=priors)
        print(f"lead Shapley ({game.description}) on {len(X)} records of the '{args.split}' split")
        res = lead_shapley(game, args.method, random_state=args.seed, tol=args.tol, progress=not args.quiet)
        mean_abs = np.abs(res.values).mean(axis=0)
        se = np.abs(res.values).std(axis=0, ddof=1) / np.sqrt(max(len(X), 1)) if len(X) > 1 \
            else np.full_like(mean_abs, np.nan)
        table = pd.DataFrame([{"label": out, "lead": lead, "mean_abs": mean_abs[i, k], "se": se[i, k],
                               "n_records": len(X)} for k, out in enumerate(res.outputs)
                              for i, lead in enumerate(res.players)])
        print(f"{res.method} lead Shapley, mean |value| of the predicted probability ± 1.96 SE over the "
              f"{len(X)} records; {res.n_evaluations} coalitions; v(∅) = training prevalence")
        wide = table.assign(text=[f"{m:.3f}±{1.96 * e:.3f}" for m, e in zip(table.mean_abs, table.se)]) \
            .pivot(index="label", columns="lead", values="text").reindex(index=res.outputs, columns=res.players)
        print(wide.to_string())
    if args.out:
        table.to_csv(args.out, index=False)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    run = Path(args.run)
    if not (run / "manifest.json").is_file():
        raise DataNotFoundError(f"{run} is not a study run folder (no manifest.json)")
    print(f"report: {redraw_report(run)}")
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from .reports.explain import explain_record  # plotting (matplotlib, shap's plots) only for this command

    _output_folder(args.out)
    model = _load_model(args.model)
    features = read_features(args.features)
    index = read_saved_index(args.index)
    found = {}
    for name, table in (("features table", features), ("index", index)):
        rows = table[table["record_id"].astype(str) == args.record]
        if args.dataset:
            rows = rows[rows["dataset"] == args.dataset]
        if rows.empty:
            raise UsageError(f"record {args.record!r}{' of ' + args.dataset if args.dataset else ''} is not in the "
                             f"{name}")
        if len(rows) > 1:
            raise UsageError(f"record {args.record!r} is in several datasets ({', '.join(rows['dataset'])}); "
                             "choose one with --dataset")
        found[name] = rows
    labels = args.label or list(model.labels_)
    unknown = [lab for lab in labels if lab not in model.labels_]
    if unknown:
        raise UsageError(f"the model has no label(s) {unknown}; its labels are {model.labels_}")
    written = explain_record(model, found["features table"].drop(columns=KEYS), found["index"].iloc[0], labels,
                             Path(args.out))
    for path in written:
        print(f"wrote {path}")
    return 0


def resolve_study_config(args: argparse.Namespace) -> StudyConfig:
    """The study configuration a command line asks for: a shipped name or a YAML path, or ``--data`` folders,
    or by default the shared sample when present and the synthetic cohort otherwise; then ``--n-jobs`` and
    ``--scheduler``. The one place the command line turns options into a configuration."""
    if args.config and args.data is not None:
        raise UsageError("give a study config or --data folders, not both")
    if args.config:
        cfg = StudyConfig.resolve(args.config)
    elif args.data is not None:
        if not args.data:
            raise UsageError("--data needs at least one dataset folder")
        missing = [f for f in args.data if not Path(f).is_dir()]
        if missing:
            raise DataNotFoundError(f"data folders not found: {missing}")
        base = StudyConfig.named("shared-sample")
        cfg = dataclasses.replace(
            base, name="data", source="folders", folders=list(args.data),
            train_datasets=args.train_datasets.split(",") if args.train_datasets else base.train_datasets,
            external_datasets=[d for d in args.external_datasets.split(",") if d]
            if args.external_datasets is not None else base.external_datasets)
    elif (shared_dir() / "data").is_dir():
        cfg = StudyConfig.named("shared-sample")
    else:
        print("no config, no --data and no shared sample found: running on a SYNTHETIC cohort (conditions planted "
              "in known leads)")
        cfg = StudyConfig.named("synthetic")
    overrides = {k: v for k, v in (("n_jobs", args.n_jobs), ("scheduler", args.scheduler)) if v is not None}
    return dataclasses.replace(cfg, **overrides) if overrides else cfg


def _cmd_study(args: argparse.Namespace) -> int:
    cfg = resolve_study_config(args)
    if cfg.source == "folders":
        missing = [f for f in cfg.folders if not Path(f).is_dir()]
        if missing:
            raise DataNotFoundError(f"data folders of study {cfg.name!r} not found: {missing} (fetch them first, "
                                    "see the README)")
    artifacts = _output_folder(args.artifacts)
    print(f"study '{cfg.name}' ({cfg.source}); writing to {artifacts}/")
    out = run_study(cfg, artifacts=artifacts, run_id=args.run_id, progress=not args.quiet, verbose=args.verbose)
    print(f"report: {out / 'report.md'} and {out / 'report.html'}")
    print((out / "report.md").read_text().split("## Lead Shapley values")[0][:1500])
    return 0


# ------------------------------------------------------------------------------------------------- parser
def _feature_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--method", default="ecgfeat", choices=list(DELINEATION_METHODS),
                   help="delineation: ecgfeat's own or a NeuroKit2 ecg_delineate method")
    p.add_argument("--anchors", default="lead", choices=["lead", "consensus"],
                   help="beats found per lead (leads stay independent) or on all leads together")
    p.add_argument("--n-jobs", type=_n_jobs, default=2, help="parallel workers (default 2; -1 = every core)")
    p.add_argument("--cache-dir", default=".ecgfeat-cache", help="feature cache folder (content-keyed .npz files, no pickle)")
    p.add_argument("--scheduler", default=None, help="dask.distributed scheduler address (e.g. tcp://host:8786)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def _scoring_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="model folder written by 'ecgfeat train'")
    p.add_argument("--features", required=True, help=f"{FEATURES_FILE} written by 'ecgfeat features'")
    p.add_argument("--labels", required=True, help=f"{LABELS_FILE} written by 'ecgfeat index --out'")
    p.add_argument("--split", choices=["test", "train", "all"], default="test",
                   help="records to score (default: the held-out test split)")
    p.add_argument("--allow-training-records", action="store_true",
                   help="score records the model was trained on (optimistic; a warning is printed)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ecgfeat", description=(
        "How much does each lead of a 12-lead ECG contribute to each diagnosis? "
        "Index WFDB datasets, extract per-lead features, train lead-subset models and value leads with Shapley."))
    p.add_argument("--version", action="version", version=f"ecgfeat {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress and every warning; tracebacks")
    sub = p.add_subparsers(dest="command", required=True)

    f = sub.add_parser("fetch", help="download a PhysioNet dataset (resumable, SHA-256 verified)",
                       description="Download ptb-xl, ecg-arrhythmia or ludb from PhysioNet into DEST. "
                                   "Every file is checked against the dataset's SHA256SUMS.txt; re-running resumes.")
    f.add_argument("dataset", choices=["ptb-xl", "ecg-arrhythmia", "ludb"])
    f.add_argument("--dest", required=True, help="destination folder")
    f.add_argument("--records", type=_positive, default=None, help="fetch only the first N records")
    f.add_argument("--rate", type=int, choices=[100, 500], default=None, help="PTB-XL sampling rate (Hz)")
    f.add_argument("--base-url", default="https://physionet.org/files", help="PhysioNet files URL (or a mirror)")
    f.add_argument("--quiet", action="store_true", help="no progress bar")
    f.set_defaults(func=_cmd_fetch)

    i = sub.add_parser("index", help="index dataset folders (headers only), labels and the train/test split",
                       description="Build a record index from WFDB headers and metadata without reading signals; "
                                   f"with --out also write {LABELS_FILE}: record_id, dataset, fold, split "
                                   "(train/test) and the labels of every record.")
    i.add_argument("paths", nargs="+", help="dataset folders (PTB-XL, ecg-arrhythmia, CinC, LUDB)")
    i.add_argument("--dataset", default="auto", help="layout: auto, ptb-xl, ecg-arrhythmia, cinc2021, ludb")
    i.add_argument("--out", default=None, help=f"folder for index.csv, qc.csv, label_coverage.csv, {LABELS_FILE}")
    i.add_argument("--label-set", default="study17", help="label set of labels.csv (study17, cinc2021, ptbxl_super)")
    i.add_argument("--n-folds", type=_positive, default=10,
                   help="folds (default 10; PTB-XL records keep their strat_fold, which needs 10)")
    i.add_argument("--test-fold", type=_positive, default=None, help="held-out test fold (default: the last)")
    i.add_argument("--seed", type=int, default=0, help="seed of the fold assignment")
    i.add_argument("--strict", action="store_true", help="exit 1 when any record was refused (outputs still written)")
    i.set_defaults(func=_cmd_index)

    fe = sub.add_parser("features", help="extract per-lead features for an index (cached, parallel)",
                        description="Extract per-lead fiducial, morphology and rhythm features for every record of "
                                    "an index.csv written by 'ecgfeat index --out'.")
    fe.add_argument("index", help="index.csv written by 'ecgfeat index --out DIR'")
    fe.add_argument("--out", required=True, help=f"folder for {FEATURES_FILE} and feature_qc.csv")
    fe.add_argument("--strict", action="store_true", help="exit 1 when any record could not be read")
    _feature_options(fe)
    fe.set_defaults(func=_cmd_features)

    t = sub.add_parser("train", help="train a lead-grouped XGBoost model on the training split",
                       description=f"Train LeadGroupedXGBClassifier on the training split of {FEATURES_FILE} and "
                                   f"{LABELS_FILE}; saves XGBoost JSON, manifest.json and {TRAINING_RECORDS_FILE}.")
    t.add_argument("--features", required=True, help=f"{FEATURES_FILE} (record_id, dataset, feature columns)")
    t.add_argument("--labels", required=True, help=f"{LABELS_FILE} (record_id, dataset, fold, split, labels)")
    t.add_argument("--label", nargs="*", default=None, help="train only these labels")
    t.add_argument("--min-positives", type=_positive, default=1,
                   help="skip labels with fewer positives among the training records (default 1)")
    t.add_argument("--leads", default="12-lead", help="lead set: catalogue name or comma/+ list (default 12-lead)")
    t.add_argument("--lead-dropout", type=_fraction, default=0.0, help="probability of dropping a lead in training")
    t.add_argument("--all-records", action="store_true", help="train on every record, ignoring the split")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", required=True, help="model folder")
    t.set_defaults(func=_cmd_train)

    e = sub.add_parser("evaluate", help="per-label AUROC/AUPRC/F1 with bootstrap CIs on held-out records",
                       description="Evaluate a saved model on the held-out test split (default).")
    _scoring_options(e)
    e.add_argument("--min-positives", type=_positive, default=5, help="score only labels with this many positives")
    e.add_argument("--boot", type=int, default=1000, help="bootstrap replicates for the 95 %% CIs")
    e.add_argument("--out", default=None, help="CSV of the results")
    e.set_defaults(func=_cmd_evaluate)

    im = sub.add_parser("importance", help="lead Shapley values of a saved model on held-out records",
                        description="Lead Shapley values: local (mean |value| of the predicted probability) or "
                                    "global (contribution to held-out AUROC); exact or Monte Carlo.")
    _scoring_options(im)
    im.add_argument("--game", choices=["local", "global"], default="local",
                    help="local: explain each record's probability; global: the held-out AUROC per label")
    im.add_argument("--method", choices=["auto", "exact", "odd-regression", "permutation", "regression"],
                    default="auto",
                    help="local game; auto = exact for 12 leads (4,096 coalitions). The global game is always exact")
    im.add_argument("--tol", type=float, default=0.01, help="Monte Carlo stopping tolerance (fraction of the total)")
    im.add_argument("--max-rows", type=_positive, default=500, help="records to explain (the first N)")
    im.add_argument("--min-positives", type=_positive, default=5,
                    help="global game: labels with fewer positives (or negatives) among the scored records are "
                         "not ranked")
    im.add_argument("--seed", type=int, default=0, help="seed of the Monte Carlo sampler and the CI draws")
    im.add_argument("--draws", type=_positive, default=400, help="global game: bootstrap draws for the 95 %% CIs")
    im.add_argument("--out", default=None, help="CSV, long format (label, lead, estimate, CI, …)")
    im.add_argument("--quiet", action="store_true", help="no progress bar")
    im.set_defaults(func=_cmd_importance)

    ex = sub.add_parser("explain", help="one record: lead waterfall per label and its ECG with fiducial points",
                        description="Exact lead Shapley values of one record's predicted probabilities (absent "
                                    "leads missing), drawn as shap waterfalls, and the record on ECG paper.")
    ex.add_argument("record", help="record_id")
    ex.add_argument("--model", required=True, help="model folder written by 'ecgfeat train'")
    ex.add_argument("--features", required=True, help=f"{FEATURES_FILE} holding the record")
    ex.add_argument("--index", required=True, help="index.csv holding the record (for its signal)")
    ex.add_argument("--dataset", default=None, help="the record's dataset when its id is in several")
    ex.add_argument("--label", nargs="*", default=None, help="labels to explain (default: every model label)")
    ex.add_argument("--out", required=True, help="folder for the PNGs")
    ex.set_defaults(func=_cmd_explain)

    r = sub.add_parser("report", help="redraw the figures, report.md and report.html of a study run",
                       description="Rebuild report figures from artifacts/<run>/tables (e.g. after editing plots).")
    r.add_argument("run", help="run folder (artifacts/<run>)")
    r.set_defaults(func=_cmd_report)

    s = sub.add_parser("study", help="run the lead-importance study end to end (main job)",
                       description="Run every step (index, features, models for every lead set, lead Shapley, "
                                   "report) from a study config: a shipped one by name "
                                   f"({', '.join(NAMED_CONFIGS)}) or a YAML file. Without one: the shared sample "
                                   "if present, else the synthetic cohort with planted abnormalities.")
    s.add_argument("config", nargs="?", default=None, help=f"{' | '.join(NAMED_CONFIGS)} | path to a study YAML")
    s.add_argument("--data", nargs="*", default=None, help="dataset folders to study instead of a config")
    s.add_argument("--train-datasets", default=None, help="with --data: datasets for training (comma-separated)")
    s.add_argument("--external-datasets", default=None, help="with --data: external test datasets")
    s.add_argument("--artifacts", default="artifacts", help="output folder (default: artifacts)")
    s.add_argument("--run-id", default=None,
                   help="name of the run folder (default: name + timestamp); an existing run with the same config, "
                        "data and ecgfeat resumes from its finished steps")
    s.add_argument("--n-jobs", type=_n_jobs, default=None, help="parallel workers (-1 = every core)")
    s.add_argument("--scheduler", default=None, help="dask.distributed scheduler address for feature extraction")
    s.add_argument("--quiet", action="store_true", help="no progress bars")
    s.set_defaults(func=_cmd_study)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except EcgfeatError as exc:
        if args.verbose:
            raise
        print(f"ecgfeat {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
