"""The lead-importance study end to end: data → features → models → importance → report.

``run_study(StudyConfig.from_yaml(path))`` writes ``artifacts/<run>/``: tables (CSV), figures (PNG),
``report.md``, a self-contained ``report.html`` and ``manifest.json`` (configuration, package versions, git
commit, platform, seeds, and a digest of ``data_files.sha256``, the hashes of every data file read). Features
are cached per record (content-keyed, no pickle) and retraining coalition models on disk, so a re-run reuses them; the
other steps are recomputed.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import logging
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ._constants import LEADS
from ._hashing import file_sha256
from ._parallel import check_n_jobs, worker_count
from .artifacts import FEATURES_FILE, LABELS_FILE, write_features
from .exceptions import ConfigError, DataNotFoundError
from .features.extract_features import summarise_feature_qc

logger = logging.getLogger(__name__)

# "limb" and "cinc-6" are the same six leads: the study evaluates each distinct lead set once.
ALL_LEAD_SETS = ["12-lead", *[f"single-{lead}" for lead in LEADS], "limb", "precordial", "optimal", "worst",
                 "cinc-4", "cinc-3", "cinc-2"]

#: Study configurations shipped with the package (``ecgfeat study NAME``): name → file in ``ecgfeat/pipelines``.
NAMED_CONFIGS = {"synthetic": "synthetic.yaml", "shared-sample": "shared_sample.yaml",
                 "reference": "reference_study.yaml"}

_SOURCES = ("shared", "synthetic", "folders")
_MASKINGS = ("missing", "background")
_RETRAIN_METHODS = ("regression", "permutation")


@dataclass
class StudyConfig:
    """Configuration of a study (YAML keys mirror these fields; see ``ecgfeat/pipelines/*.yaml``).

    Values are checked when the configuration is created (types, enumerations, ranges), before any work.
    """

    name: str = "study"
    source: str = "shared"  # shared | synthetic | folders
    folders: list[str] = field(default_factory=list)  # dataset folders when source == folders
    train_datasets: list[str] = field(default_factory=lambda: ["cinc2021"])
    external_datasets: list[str] = field(default_factory=lambda: ["ptb-xl"])
    synthetic_records: int = 240
    label_set: str = "study17"
    labels: list[str] = field(default_factory=list)  # empty: every label with min_positives
    min_positives: int = 8
    feature_method: str = "ecgfeat"
    feature_anchors: str = "lead"
    n_estimators: int = 300
    n_folds: int = 5
    lead_sets: list[str] = field(default_factory=lambda: list(ALL_LEAD_SETS))
    n_boot: int = 300
    importance_lead_dropout: float = 0.3
    local_rows: int = 200
    masking: str = "missing"
    retrain_labels: list[str] = field(default_factory=list)
    retrain_method: str = "regression"  # regression | permutation (Monte Carlo sampler of the retraining game)
    retrain_evaluations: int = 150  # regression: distinct coalitions, i.e. models trained per label set
    retrain_pairs: int = 10  # permutation: antithetic pairs
    retrain_n_estimators: int = 60
    k_max: int = 6
    exhaustive_up_to: int = 6
    seed: int = 0
    n_jobs: int = 2  # parallel workers; -1 = every core
    scheduler: str | None = None  # dask.distributed scheduler address for feature extraction

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> "StudyConfig":
        """Raise :class:`ConfigError` naming the first invalid value; return ``self``."""
        from .features.record_features import METHODS
        from .models.lead_sets import resolve_lead_set

        def fail(key: str, why: str) -> None:
            raise ConfigError(f"study config {self.name!r}: {key} = {getattr(self, key)!r} {why}")

        for key, f in self.__dataclass_fields__.items():
            value = getattr(self, key)
            if f.type in ("int",) and (isinstance(value, bool) or not isinstance(value, int)):
                fail(key, "must be an integer")
            if f.type == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
                fail(key, "must be a number")
            if f.type == "str" and not isinstance(value, str):
                fail(key, "must be a string")
            if f.type == "list[str]" and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
                fail(key, "must be a list of strings")
        choices = {"source": _SOURCES, "masking": _MASKINGS, "retrain_method": _RETRAIN_METHODS,
                   "feature_method": METHODS, "feature_anchors": ("lead", "consensus")}
        for key, allowed in choices.items():
            if getattr(self, key) not in allowed:
                fail(key, f"is not one of {list(allowed)}")
        minimum = {"synthetic_records": 20, "min_positives": 1, "n_estimators": 1, "n_folds": 2, "n_boot": 0,
                   "local_rows": 1, "retrain_evaluations": 0, "retrain_pairs": 0, "retrain_n_estimators": 1,
                   "k_max": 1, "exhaustive_up_to": 0, "seed": 0}
        for key, low in minimum.items():
            if getattr(self, key) < low:
                fail(key, f"must be at least {low}")
        if not 0 <= self.importance_lead_dropout < 1:
            fail("importance_lead_dropout", "must be in [0, 1)")
        try:
            check_n_jobs(self.n_jobs)
        except ConfigError:
            fail("n_jobs", "must be -1 (every core) or a positive number of workers")
        if self.source == "folders" and not self.folders:
            fail("folders", "must name at least one dataset folder when source is 'folders'")
        if self.source != "synthetic":  # the synthetic cohort always has its planted labels
            from .records import DATASETS, LabelTable  # records before study; label table read once per config

            sets = LabelTable.load().label_sets
            if self.label_set not in sets:
                fail("label_set", f"is not one of {sorted(sets)}")
            for key in ("train_datasets", "external_datasets"):
                unknown = [d for d in getattr(self, key) if d not in DATASETS]
                if unknown:
                    fail(key, f"names unknown datasets {unknown}; choose from {list(DATASETS)}")
            if not self.train_datasets:
                fail("train_datasets", "must name at least one dataset")
        if not self.lead_sets:
            fail("lead_sets", "must name at least one lead set")
        seen: dict[tuple[str, ...], str] = {}
        for name in self.lead_sets:
            try:
                leads = resolve_lead_set(name)
            except ValueError as exc:
                raise ConfigError(f"study config {self.name!r}: lead_sets: {exc}") from None
            if leads in seen:
                raise ConfigError(f"study config {self.name!r}: lead sets {seen[leads]!r} and {name!r} are the same "
                                  f"leads ({', '.join(leads)}); keep one")
            seen[leads] = name
        return self

    @classmethod
    def from_yaml(cls, path: str | Path) -> "StudyConfig":
        """Read a study YAML file (a mapping of the fields above)."""
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text())
        except FileNotFoundError:
            raise DataNotFoundError(f"study config {path} not found") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML ({exc})") from None
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: a study config is a mapping of keys to values, got {type(raw).__name__}")
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"{path}: unknown keys {sorted(unknown)}; valid keys: "
                              f"{sorted(cls.__dataclass_fields__)}")
        return cls(**raw)

    @classmethod
    def named(cls, name: str) -> "StudyConfig":
        """One of the configurations shipped with ecgfeat: 'synthetic', 'shared-sample' or 'reference'."""
        if name not in NAMED_CONFIGS:
            raise ConfigError(f"no study config named {name!r}; shipped configs: {sorted(NAMED_CONFIGS)}")
        return cls.from_yaml(named_config_path(name))

    @classmethod
    def resolve(cls, name_or_path: str | Path) -> "StudyConfig":
        """A shipped config by name (``'synthetic'``) or a YAML file by path."""
        if str(name_or_path) in NAMED_CONFIGS:
            return cls.named(str(name_or_path))
        path = Path(name_or_path)
        if not path.is_file():
            raise DataNotFoundError(f"study config {str(name_or_path)!r} is neither a file nor one of the shipped "
                                    f"configs {sorted(NAMED_CONFIGS)}")
        return cls.from_yaml(path)

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]


def named_config_path(name: str) -> Path:
    """The YAML file of a shipped study config (package data, also present in an installed wheel)."""
    return Path(str(resources.files("ecgfeat") / "pipelines" / NAMED_CONFIGS[name]))


# ----------------------------------------------------------------------------------------------- data
def _load_data(cfg: StudyConfig, shared: Path | None, out: Path, progress: bool = False, verbose: bool = False):
    """(index, X, Y of the training/internal set, X and Y of the external set, description, data hashes)."""
    from .features import FeatureConfig, extract_features
    from .records import LabelTable, read_indexes, save_index, shared_sample_roots

    fconf = FeatureConfig(method=cfg.feature_method, anchors=cfg.feature_anchors)
    cache = out.parent / ".cache"
    if cfg.source == "synthetic":
        from .records.synthetic import simulate_cohort

        recs, y = simulate_cohort(cfg.synthetic_records, random_state=cfg.seed, n_jobs=cfg.n_jobs)
        ext_recs, y_ext = simulate_cohort(max(60, cfg.synthetic_records // 3), random_state=cfg.seed + 1000,
                                          n_jobs=cfg.n_jobs)
        X = extract_features(recs, fconf, n_jobs=cfg.n_jobs, cache_dir=cache, progress=progress,
                             log_lead_problems=verbose).features
        X_ext = extract_features(ext_recs, fconf, n_jobs=cfg.n_jobs, cache_dir=cache, progress=progress,
                                 log_lead_problems=verbose).features
        index = pd.DataFrame({"record_id": y.index, "dataset": "synthetic", "ecg_key": y.index,
                              "patient_id": None, "strat_fold": np.nan})
        write_features(X, index, out / FEATURES_FILE)
        hashes = {"synthetic": f"simulate_cohort(n={cfg.synthetic_records}, seed={cfg.seed})"}
        return (index, X.reset_index(drop=True), y.reset_index(drop=True), X_ext.reset_index(drop=True),
                y_ext.reset_index(drop=True), "synthetic NeuroKit2 cohort (SYNTHETIC DATA)", hashes)
    roots = [Path(f) for f in cfg.folders] if cfg.source == "folders" else shared_sample_roots(shared)
    index, qc = read_indexes(roots)
    save_index(index, out / "index.csv")
    qc.to_csv(out / "qc.csv", index=False)
    table = extract_features(index, fconf, n_jobs=cfg.n_jobs, chunk_size=16, cache_dir=cache,
                             backend="dask" if cfg.scheduler else "loky", scheduler=cfg.scheduler,
                             progress=progress, log_lead_problems=verbose)
    table.qc.to_csv(out / "feature_qc.csv", index=False)
    if progress:
        print(f"feature QC: {summarise_feature_qc(table.qc)} (details in feature_qc.csv)")
    write_features(table.features, index, out / FEATURES_FILE)
    y_all = LabelTable.load().encode(index, cfg.label_set).reset_index(drop=True)
    feats = table.features.reset_index(drop=True)
    train = index.dataset.isin(cfg.train_datasets).to_numpy()
    ext = index.dataset.isin(cfg.external_datasets).to_numpy()
    # the same ECG must never be in training and in the external test set
    ext_keys = set(index.loc[ext, "ecg_key"])
    train &= ~index.ecg_key.isin(ext_keys).to_numpy()
    hashes = _data_hashes(index, out)
    desc = f"{', '.join(cfg.train_datasets)} (train/internal) and {', '.join(cfg.external_datasets) or '—'} " \
           f"(external), from {', '.join(str(r) for r in roots)}"
    return (index[train].reset_index(drop=True), feats[train].reset_index(drop=True),
            y_all[train].reset_index(drop=True), feats[ext].reset_index(drop=True), y_all[ext].reset_index(drop=True),
            desc, hashes)


def _data_files(index: pd.DataFrame) -> list[Path]:
    """Every data file a study reads: each record's header and signal files, and the metadata tables (CSV) at
    the top of each dataset folder."""
    from .records import read_header

    files: list[Path] = []
    roots: set[Path] = set()
    for path in index["path"]:
        hea = Path(path + ".hea")
        files.append(hea)
        header = read_header(hea)
        files.extend(hea.with_name(name) for name in dict.fromkeys(s.file_name for s in header.signals))
        roots.add(hea.parent)
    for root in sorted(roots):  # metadata next to the records or a few levels up (PTB-XL, ecg-arrhythmia)
        for parent in [root, *list(root.parents)[:3]]:
            files.extend(sorted(parent.glob("*.csv")))
    return list(dict.fromkeys(files))


def _data_hashes(index: pd.DataFrame, out: Path) -> dict[str, str]:
    """sha256 of every data file read, written to ``data_files.sha256`` (``sha256sum -c`` format); returns a
    digest of that list per dataset and the file count."""
    lines_by_ds: dict[str, list[str]] = {}
    for ds, part in index.groupby("dataset"):
        lines = []
        for f in _data_files(part):
            lines.append(f"{file_sha256(f)}  {f}")
        lines_by_ds[str(ds)] = lines
    all_lines = [ln for lines in lines_by_ds.values() for ln in lines]
    (out / "data_files.sha256").write_text("\n".join(all_lines) + "\n")
    digests = {ds: hashlib.sha256("\n".join(lines).encode()).hexdigest() for ds, lines in lines_by_ds.items()}
    return {**digests, "files": str(len(all_lines))}


# ---------------------------------------------------------------------------------------------- steps
def _model(cfg: StudyConfig, **kw):
    from .models.classifier import LeadGroupedXGBClassifier

    return LeadGroupedXGBClassifier(n_estimators=cfg.n_estimators, random_state=cfg.seed, n_jobs=1, **kw)


def _one_lead_set(cfg, name, X, Y, X_ext, Y_ext, folds):
    from .models.protocols import cross_validated_predictions, external_predictions

    pred = cross_validated_predictions(_model(cfg, leads=name), X, Y, folds)
    res = pred.evaluate(n_boot=cfg.n_boot, random_state=cfg.seed, min_positives=cfg.min_positives)
    res = res.assign(lead_set=name, fit_s=pred.fit_seconds)
    ext = None
    if len(X_ext):
        ep = external_predictions(_model(cfg, leads=name), X, Y, X_ext, Y_ext)
        ext = ep.evaluate(n_boot=cfg.n_boot, random_state=cfg.seed, min_positives=min(cfg.min_positives, 3))
        ext = ext.assign(lead_set=name)
    return res, ext


def _evaluate_lead_sets(cfg, X, Y, X_ext, Y_ext, folds, tables: Path, progress) -> tuple[pd.DataFrame, ...]:
    """Internal CV and external test of every lead set, lead sets in parallel (``cfg.n_jobs``)."""
    from joblib import Parallel, delayed

    results = list(progress(Parallel(n_jobs=cfg.n_jobs, return_as="generator")(
        delayed(_one_lead_set)(cfg, name, X, Y, X_ext, Y_ext, folds) for name in cfg.lead_sets),
        desc="lead sets (CV models + bootstrap)", total=len(cfg.lead_sets)))
    internal = pd.concat([r for r, _ in results], ignore_index=True)
    ext_rows = [e for _, e in results if e is not None]
    external = pd.concat(ext_rows, ignore_index=True) if ext_rows else pd.DataFrame()
    internal.to_csv(tables / "auroc_internal.csv", index=False)
    if len(external):
        external.to_csv(tables / "auroc_external.csv", index=False)
    return internal, external


def _pivot(res: pd.DataFrame, labels: list[str], lead_sets: list[str]) -> pd.DataFrame:
    if res.empty:
        return pd.DataFrame()
    scored = res[res["scored"].astype(bool)]
    return scored.pivot_table(index="label", columns="lead_set", values="auroc").reindex(
        index=[lab for lab in labels + ["macro"] if lab in set(scored.label)], columns=lead_sets)


def _importance(cfg, X, Y, folds, tables: Path, progress: bool = False) -> dict[str, Any]:
    from .importance import (GlobalScoreGame, MaskedModelGame, RetrainGame, exact_shapley, permutation_shapley,
                             regression_shapley)
    from .importance.lead_selection import best_lead_sets

    test = folds == folds.max()
    model = _model(cfg, lead_dropout=cfg.importance_lead_dropout).fit(X.loc[~test], Y.loc[~test])
    labels = list(Y.columns)
    out: dict[str, Any] = {"model_labels": labels}
    X_test, Y_test = X.loc[test], Y.loc[test]
    # (1) global, SAGE-style: AUROC of the masked model on the held-out fold, exact over 4,096 coalitions
    t0 = time.perf_counter()
    game = GlobalScoreGame(model.predict_label_proba, X_test, Y_test, model.lead_groups_, masking="missing",
                           score="auroc", outputs=labels)
    glob = exact_shapley(game, progress=progress)
    out["global_seconds"] = time.perf_counter() - t0
    g = pd.DataFrame(glob.values[0].T, index=labels, columns=glob.players)
    g.to_csv(tables / "lead_shapley_global_auroc.csv")
    out["global"] = g
    out["global_v"] = pd.DataFrame({"v_none": glob.base_values[0], "v_all": glob.full_values[0]}, index=labels)
    out["global_v"].to_csv(tables / "lead_shapley_global_v.csv")
    # (2) local: mean |phi| of the predicted probability over held-out records
    rows = X_test.iloc[: cfg.local_rows]
    t0 = time.perf_counter()
    local = exact_shapley(MaskedModelGame(model.predict_label_proba, rows, model.lead_groups_,
                                          masking=cfg.masking, background=X.loc[~test].iloc[:50].to_numpy()
                                          if cfg.masking == "background" else None, outputs=labels),
                          progress=progress)
    out["local_seconds"] = time.perf_counter() - t0
    loc = local.mean_abs().T
    loc.to_csv(tables / "lead_shapley_local_meanabs.csv")
    out["local"] = loc
    out["local_result"] = local
    # (3) Monte Carlo convergence against the exact global values
    curve = []
    scale = np.abs(glob.full_values - glob.base_values).max()
    for pairs in (2, 4, 8, 16, 32, 64):
        mc = permutation_shapley(game, random_state=cfg.seed, tol=0.0, max_pairs=pairs, min_pairs=pairs,
                                 batch_pairs=pairs)
        curve.append({"method": "permutation", "pairs": pairs, "evaluations": mc.n_evaluations,
                      "error": float(np.nanmax(np.abs(mc.values - glob.values)) / scale),
                      "max_se": float(np.nanmax(mc.std_error)) / scale})
    for budget in (60, 100, 200, 400, 800):
        mc = regression_shapley(game, random_state=cfg.seed, tol=0.0, max_evaluations=budget)
        curve.append({"method": "regression", "pairs": np.nan, "evaluations": mc.n_evaluations,
                      "error": float(np.nanmax(np.abs(mc.values - glob.values)) / scale),
                      "max_se": float(np.nanmax(mc.std_error)) / scale})
    out["mc_curve"] = pd.DataFrame(curve)
    out["mc_curve"].to_csv(tables / "mc_convergence.csv", index=False)
    # (4) reduced lead sets per label from the same global game
    sets = []
    for lab in labels:
        df = best_lead_sets(game, glob, lab, k_max=cfg.k_max, exhaustive_up_to=cfg.exhaustive_up_to)
        sets.append(df.assign(label=lab))
    out["best_sets"] = pd.concat(sets, ignore_index=True)
    out["best_sets"].to_csv(tables / "best_lead_sets.csv", index=False)
    # (5) retraining value function (Monte Carlo, coalition models cached on disk)
    rl = [lab for lab in (cfg.retrain_labels or labels[:3]) if lab in labels]
    if cfg.retrain_method not in ("regression", "permutation"):
        raise ValueError(f"retrain_method must be 'regression' or 'permutation', got {cfg.retrain_method!r}")
    budget = cfg.retrain_evaluations if cfg.retrain_method == "regression" else cfg.retrain_pairs
    if rl and budget > 0:
        from .models.classifier import LeadGroupedXGBClassifier

        t0 = time.perf_counter()
        make = lambda leads: LeadGroupedXGBClassifier(leads=leads, n_estimators=cfg.retrain_n_estimators,  # noqa
                                                      early_stopping_rounds=None, random_state=cfg.seed)
        rg = RetrainGame(make, X.loc[~test], Y.loc[~test, rl], X_test, Y_test[rl], model.lead_groups_,
                         config={"n_estimators": cfg.retrain_n_estimators, "seed": cfg.seed},
                         cache_dir=tables.parent.parent / ".cache" / "coalitions", n_jobs=cfg.n_jobs,
                         progress=progress)
        if cfg.retrain_method == "regression":
            res = regression_shapley(rg, random_state=cfg.seed, tol=0.0, max_evaluations=cfg.retrain_evaluations)
            how = f"regression-adjusted Monte Carlo over {res.n_evaluations} lead coalitions"
        else:
            res = permutation_shapley(rg, random_state=cfg.seed, tol=0.0, max_pairs=cfg.retrain_pairs,
                                      min_pairs=cfg.retrain_pairs)
            how = f"{res.n_permutations} Monte Carlo permutations ({res.n_evaluations} lead coalitions)"
        r = pd.DataFrame(res.values[0].T, index=rl, columns=res.players)
        se = pd.DataFrame(res.std_error[0].T, index=rl, columns=res.players)
        r.to_csv(tables / "lead_shapley_retrain_auroc.csv")
        se.to_csv(tables / "lead_shapley_retrain_auroc_se.csv")
        out.update(retrain=r, retrain_se=se, retrain_fits=rg.fits, retrain_hits=rg.hits,
                   retrain_seconds=time.perf_counter() - t0, retrain_how=how)
    out["n_test"] = int(test.sum())
    return out


# --------------------------------------------------------------------------------------------- report
def _save(fig, path: Path) -> str:
    fig.savefig(path, dpi=110)
    return path.name


def _write_report(cfg, out: Path, desc: str, Y: pd.DataFrame, internal_t, external_t, imp, planted, elapsed) -> Path:
    from .reports import html, plots

    figs = out / "figures"
    figs.mkdir(exist_ok=True)
    synthetic = cfg.source == "synthetic"
    tag = " — SYNTHETIC DATA" if synthetic else ""
    lines = [f"# Lead-importance study: {cfg.name}{tag}", ""]
    if synthetic:
        lines += ["> **Synthetic data.** Every record was generated by `ecgfeat.records.synthetic` (NeuroKit2 "
                  "`ecgsyn` beat trains) with conditions planted in known leads. Nothing here describes patients.", ""]
    lines += [f"Data: {desc}. Records for training/internal test: {len(Y)}; labels: "
              + ", ".join(f"{c} ({int((Y[c] == 1).sum())})" for c in Y.columns) + ".",
              f"Run time {elapsed:.0f} s; configuration digest `{cfg.digest()}`; see `manifest.json`.", ""]
    lines += ["## Diagnostic performance by lead set", "",
              f"Macro and per-label AUROC, {cfg.n_folds}-fold cross-validation grouped by patient/ECG "
              "(internal) and a model trained on all internal records applied to the external set. "
              "Tables with 95 % bootstrap CIs: `tables/auroc_internal.csv`, `tables/auroc_external.csv`.", ""]
    lines.append(f"![internal](figures/{_save(plots.auroc_heatmap(internal_t, 'AUROC, internal CV'), figs / 'auroc_internal.png')})")
    if not external_t.empty:
        lines.append(f"![external](figures/{_save(plots.auroc_heatmap(external_t, 'AUROC, external test'), figs / 'auroc_external.png')})")
        common = internal_t.index.intersection(external_t.index)
        diff = external_t.loc[common] - internal_t.loc[common]
        lines.append(f"![difference](figures/{_save(plots.auroc_heatmap(diff, 'AUROC external − internal', center=0, fmt='{:+.2f}'), figs / 'auroc_difference.png')})")
    if "macro" in internal_t.index:
        m = internal_t.loc["macro"].sort_values(ascending=False)
        lines += ["", "Macro AUROC (internal): " + ", ".join(f"{k} {v:.3f}" for k, v in m.items() if np.isfinite(v)), ""]
    lines += ["## Lead Shapley values", "",
              f"Model: 12-lead, lead dropout {cfg.importance_lead_dropout}, trained on folds 1–{cfg.n_folds - 1}; "
              f"explained on the held-out fold ({imp['n_test']} records). Exact enumeration of all 4,096 lead "
              "coalitions (absent leads set to missing).", "",
              "**Global (SAGE-style):** contribution of each lead to the held-out AUROC; values per label sum to "
              "AUROC(12 leads) − 0.5.", ""]
    lines.append(f"![global](figures/{_save(plots.lead_shapley_bars(imp['global'], None, 'Lead Shapley, held-out AUROC (global)', planted), figs / 'lead_shapley_global.png')})")
    lines += ["", "**Local:** mean |Shapley value| of the predicted probability over held-out records.", ""]
    lines.append(f"![local](figures/{_save(plots.lead_shapley_bars(imp['local'], None, 'Mean |lead Shapley| of predicted probability (local)', planted), figs / 'lead_shapley_local.png')})")
    if "retrain" in imp:
        lines += ["", f"**Retraining value function:** v(S) = held-out AUROC of a model retrained on leads S; "
                  f"{imp['retrain_how']}, {imp['retrain_fits']} coalition models "
                  f"fitted, {imp['retrain_hits']} reused from the disk cache; error bars ±1.96 SE.", ""]
        lines.append(f"![retrain](figures/{_save(plots.lead_shapley_bars(imp['retrain'], imp['retrain_se'], 'Lead Shapley, retrained models (AUROC)', planted), figs / 'lead_shapley_retrain.png')})")
    rank = {lab: list(imp["global"].loc[lab].sort_values(ascending=False).index[:3]) for lab in imp["global"].index}
    lines += ["", "| label | top leads (global) | v(∅) | v(12 leads) |", "| --- | --- | --- | --- |"]
    for lab, top in rank.items():
        v = imp["global_v"].loc[lab]
        lines.append(f"| {lab} | {', '.join(top)} | {v.v_none:.3f} | {v.v_all:.3f} |")
    if planted:
        ok = {lab: rank.get(lab, [None])[0] == lead for lab, lead in planted.items() if lab in rank}
        lines += ["", "**Planted-lead recovery** (synthetic ground truth): " + ", ".join(
            f"{lab}: planted {planted[lab]}, ranked first {rank[lab][0]} ({'recovered' if good else 'NOT recovered'})"
            for lab, good in ok.items()) + f" — {sum(ok.values())}/{len(ok)} recovered.", ""]
    lines += ["", "## Reduced lead sets", "",
              "Best k-lead set per label by Shapley ranking, greedy forward selection and exhaustive search, all "
              "scored by the same held-out AUROC of the masked model (`tables/best_lead_sets.csv`). The greedy and "
              "exhaustive sets are chosen on the fold they are scored on, so their curves are optimistic upper "
              "bounds; confirm a chosen set by retraining it on independent data (the lead-set table above).", ""]
    lines.append(f"![k](figures/{_save(plots.performance_vs_k(imp['best_sets'], 'AUROC vs number of leads'), figs / 'performance_vs_k.png')})")
    gap = imp["best_sets"].query("method == 'shapley_rank'").groupby("k")["gap_to_best"].mean()
    lines += ["", "Mean AUROC gap of the Shapley-ranked set to the best set: " + ", ".join(
        f"k={k}: {g:.3f}" for k, g in gap.items() if np.isfinite(g)), ""]
    lines += ["## Monte Carlo convergence", "",
              "Antithetic permutation sampling and the regression-adjusted sampler on the global game vs its exact "
              "value (`tables/mc_convergence.csv`).", ""]
    lines.append(f"![mc](figures/{_save(plots.mc_convergence(imp['mc_curve'], 'Monte Carlo vs exact (global game)'), figs / 'mc_convergence.png')})")
    (out / "report.md").write_text("\n".join(lines) + "\n")
    html.write_report_html(out / "report.md", out / "report.html")
    return out / "report.md"


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("ecgfeat", "numpy", "scipy", "pandas", "wfdb", "neurokit2", "scikit-learn", "xgboost-cpu",
                "shap", "joblib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _git_commit() -> str:
    """The commit of the ecgfeat source when it runs from a git checkout (with '+dirty' for local changes),
    else 'installed package (no git checkout)'."""
    source = Path(__file__).resolve().parent.parent
    if not (source / ".git").exists():
        return "installed package (no git checkout)"
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=source,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (git not available)"
    return commit + ("+dirty" if dirty else "")


def run_study(cfg: StudyConfig, artifacts: str | Path = "artifacts", run_id: str | None = None,
              shared: str | Path | None = None, progress: bool = True, verbose: bool = False) -> Path:
    """Run every step of the study and return the run folder.

    progress : progress bars (total and ETA) for every long step and a one-line summary of feature QC
    verbose : also log a warning for every lead whose features are NaN (always listed in ``feature_qc.csv``)
    """
    from tqdm.auto import tqdm

    from .models.metrics import scorable_labels
    from .paths import shared_dir
    from .records.splits import assign_folds, labels_with_split

    def prog(it, desc, total=None):
        return tqdm(it, desc=desc, total=total, disable=not progress)

    t_start = time.perf_counter()
    cfg = dataclasses.replace(cfg, n_jobs=worker_count(cfg.n_jobs))
    run_id = run_id or f"{cfg.name}-{_dt.datetime.now():%Y%m%d-%H%M%S}"
    out = Path(artifacts) / run_id
    tables = out / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    shared = Path(shared) if shared else shared_dir()
    index, X, Y, X_ext, Y_ext, desc, hashes = _load_data(cfg, shared, out, progress, verbose)
    labels = cfg.labels or scorable_labels(Y.to_numpy(), list(Y.columns), cfg.min_positives)
    missing = [lab for lab in labels if lab not in Y.columns]
    if missing:
        raise ConfigError(f"labels {missing} are not in label set {cfg.label_set!r}")
    if not labels:
        raise ConfigError(f"no label has {cfg.min_positives} positives; lower min_positives or add data")
    Y, Y_ext = Y[labels], Y_ext[labels] if len(Y_ext) else Y_ext
    folds = assign_folds(index, Y, n_folds=cfg.n_folds, random_state=cfg.seed)
    labels_with_split(index, Y, folds, int(folds.max())).to_csv(out / LABELS_FILE, index=False)
    internal, external = _evaluate_lead_sets(cfg, X, Y, X_ext, Y_ext, folds, tables, prog)
    internal_t = _pivot(internal, labels, cfg.lead_sets)
    external_t = _pivot(external, labels, cfg.lead_sets)
    imp = _importance(cfg, X, Y, folds, tables, progress)
    planted = None
    if cfg.source == "synthetic":
        from .records.synthetic import PLANTED

        planted = PLANTED
    elapsed = time.perf_counter() - t_start
    report = _write_report(cfg, out, desc, Y, internal_t, external_t, imp, planted, elapsed)
    manifest = {"run_id": run_id, "created": _dt.datetime.now().isoformat(timespec="seconds"),
                "config": asdict(cfg), "config_digest": cfg.digest(), "versions": _versions(),
                "git_commit": _git_commit(), "platform": {"system": platform.platform(),
                                                          "machine": platform.machine(),
                                                          "python": platform.python_implementation()
                                                          + " " + platform.python_version(),
                                                          "cpus": os.cpu_count()},
                "data_files": "data_files.sha256",
                "data": desc, "data_hashes": hashes, "seed": cfg.seed, "labels": labels,
                "n_records": len(Y), "n_external": len(Y_ext), "seconds": round(elapsed, 1),
                "synthetic": cfg.source == "synthetic",
                "importance": {k: imp[k] for k in ("n_test", "retrain_fits", "retrain_hits", "retrain_how",
                                                   "global_seconds", "local_seconds") if k in imp}}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    logger.info("study written to %s (%s)", out, report)
    return out


def redraw_report(run: Path) -> Path:
    """Rebuild ``report.md`` and its figures from a run's tables and manifest (no recomputation)."""
    run = Path(run)
    manifest = json.loads((run / "manifest.json").read_text())
    cfg = StudyConfig(**manifest["config"])
    tables = run / "tables"
    labels = manifest["labels"]
    Y = pd.read_csv(run / "labels.csv")[labels]
    internal = pd.read_csv(tables / "auroc_internal.csv")
    external = pd.read_csv(tables / "auroc_external.csv") if (tables / "auroc_external.csv").exists() \
        else pd.DataFrame()
    imp: dict[str, Any] = dict(manifest.get("importance", {}))
    imp["global"] = pd.read_csv(tables / "lead_shapley_global_auroc.csv", index_col=0)
    imp["global_v"] = pd.read_csv(tables / "lead_shapley_global_v.csv", index_col=0)
    imp["local"] = pd.read_csv(tables / "lead_shapley_local_meanabs.csv", index_col=0)
    imp["best_sets"] = pd.read_csv(tables / "best_lead_sets.csv")
    imp["mc_curve"] = pd.read_csv(tables / "mc_convergence.csv")
    if (tables / "lead_shapley_retrain_auroc.csv").exists():
        imp["retrain"] = pd.read_csv(tables / "lead_shapley_retrain_auroc.csv", index_col=0)
        imp["retrain_se"] = pd.read_csv(tables / "lead_shapley_retrain_auroc_se.csv", index_col=0)
    planted = None
    if manifest.get("synthetic"):
        from .records.synthetic import PLANTED

        planted = PLANTED
    return _write_report(cfg, run, manifest["data"], Y, _pivot(internal, labels, cfg.lead_sets),
                         _pivot(external, labels, cfg.lead_sets), imp, planted, manifest["seconds"])
