"""Running a study end to end, and redrawing a finished run's report."""
from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import os
import platform
import subprocess
import time
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .._hashing import content_hash
from .._parallel import cluster_backend, worker_count
from ..artifacts import LABELS_FILE, StudyResults
from ..artifacts.steps import StepStore
from ..exceptions import ConfigError
from ..models.metrics import scorable_labels
from ..paths import shared_dir
from ..records.splits import assign_folds, labels_with_split
from ..reports.study_report import write_report
from .config import StudyConfig
from .data import load_data
from .importance_step import lead_importance_step
from .lead_set_models import evaluate_lead_sets
from .step_clock import StepClock

logger = logging.getLogger("ecgfeat.study")


def _versions() -> dict[str, str]:
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
    source = Path(__file__).resolve().parents[2]  # the checkout holding ecgfeat/study/run.py
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
              shared: str | Path | None = None, progress: bool = True, verbose: bool = False,
              clock: StepClock | None = None) -> Path:
    """Run every step of the study and return the run folder ``artifacts/run_id``.

    Resumable: features come from the per-record feature cache, and the lead-set models and the importance step
    are kept in ``steps/`` of the run folder (:class:`~ecgfeat.artifacts.steps.StepStore`); running the same
    ``run_id`` again with the same configuration, data and ecgfeat source reuses every finished step.

    progress : progress bars (total and ETA) for every long step and a one-line summary of feature QC
    verbose : also log a warning for every lead whose features are NaN (always listed in ``feature_qc.csv``)
    clock : collects the wall seconds of each step computed (:data:`~ecgfeat.study.step_clock.STUDY_STEPS`; a
        step resumed from the run folder is not timed); the manifest's ``step_seconds`` has every step but the
        report, which writes the manifest
    """
    clock = clock or StepClock()
    def prog(it, desc, total=None):
        return tqdm(it, desc=desc, total=total, disable=not progress)

    t_start = time.perf_counter()
    cfg = dataclasses.replace(cfg, n_jobs=worker_count(cfg.n_jobs))
    run_id = run_id or f"{cfg.name}-{_dt.datetime.now():%Y%m%d-%H%M%S}"
    out = Path(artifacts) / run_id
    out.mkdir(parents=True, exist_ok=True)
    shared = Path(shared) if shared else shared_dir()
    index, X, Y, X_ext, Y_ext, desc, hashes = load_data(cfg, shared, out, progress, verbose, clock)
    labels = cfg.labels or scorable_labels(Y.to_numpy(), list(Y.columns), cfg.min_positives)
    missing = [lab for lab in labels if lab not in Y.columns]
    if missing:
        raise ConfigError(f"labels {missing} are not in label set {cfg.label_set!r}")
    if not labels:
        raise ConfigError(f"no label has {cfg.min_positives} positives; lower min_positives or add data")
    Y, Y_ext = Y[labels], Y_ext[labels] if len(Y_ext) else Y_ext
    folds = assign_folds(index, Y, n_folds=cfg.n_folds, random_state=cfg.seed)
    labels_with_split(index, Y, folds, int(folds.max())).to_csv(out / LABELS_FILE, index=False)
    # finished steps are kept in the run folder: the same run id with the same config, data and code resumes
    steps = StepStore(out)
    results_config = {k: v for k, v in asdict(cfg).items() if k not in ("n_jobs", "scheduler")}  # same results
    source, versions = _git_commit(), _versions()
    key = content_hash(results_config, X, Y, X_ext, Y_ext, np.asarray(folds), source, versions)
    done = steps.load("lead_sets", key)
    if done is None:
        with cluster_backend(cfg.scheduler):  # lead-set models on the Dask cluster when a scheduler is given
            internal, external = evaluate_lead_sets(cfg, X, Y, X_ext, Y_ext, folds, prog, clock)
        done = steps.save("lead_sets", key, {"internal": internal, "external": external})
    internal, external = done["internal"], done["external"]
    imp = steps.load("importance", key)
    if imp is None:
        with cluster_backend(cfg.scheduler):  # and the retraining game's coalition fits
            imp = lead_importance_step(cfg, X, Y, folds, out.parent / ".cache", progress, clock)
        imp = steps.save("importance", key, imp)
    elapsed = time.perf_counter() - t_start
    manifest = {"run_id": run_id, "created": _dt.datetime.now().isoformat(timespec="seconds"),
                "config": asdict(cfg), "config_digest": cfg.digest(), "versions": versions,
                "git_commit": source, "platform": {"system": platform.platform(),
                                                          "machine": platform.machine(),
                                                          "python": platform.python_implementation()
                                                          + " " + platform.python_version(),
                                                          "cpus": os.cpu_count()},
                "data_files": "data_files.sha256",
                "data": desc, "data_hashes": hashes, "seed": cfg.seed, "labels": labels,
                "n_records": len(Y), "n_external": len(Y_ext), "seconds": round(elapsed, 1),
                "step_seconds": {k: round(v, 1) for k, v in clock.seconds.items()},
                "synthetic": cfg.source == "synthetic",
                "importance": {k: imp[k] for k in ("n_test", "retrain_fits", "retrain_hits", "retrain_how", "retrain_refits",
                                                   "global_seconds", "local_seconds", "local_n") if k in imp}}
    results = StudyResults(
        manifest=manifest, auroc_internal=internal, auroc_external=external, label_counts=imp["counts"],
        lead_importance=imp["lead_importance"], value_function_agreement=imp["agreement"],
        lead_differences=imp["differences"], global_auroc=imp["global"], global_v=imp["global_v"],
        local_meanabs=imp["local"], local_meanabs_se=imp["local_se"], best_lead_sets=imp["best_sets"],
        mc_convergence=imp["mc_curve"], retrain_auroc=imp.get("retrain"), retrain_auroc_se=imp.get("retrain_se"),
        masked_vs_retrained=imp.get("masked_vs_retrained"))
    with clock.step("report"):
        results.to_run(out)
        report = write_report(results, out)
    logger.info("study written to %s (%s)", out, report)
    return out


def redraw_report(run: Path) -> Path:
    """Rebuild ``report.md``, ``report.html`` and the figures from a run's tables and manifest (no recomputation)."""
    return write_report(StudyResults.from_run(run), run)
