"""The study's lead-set step: internal cross-validation and external test of a model per lead set."""
from __future__ import annotations


import pandas as pd
from joblib import Parallel, delayed

from ..models.classifier import LeadGroupedXGBClassifier
from ..models.protocols import cross_validated_predictions, external_predictions
from .config import StudyConfig
from .step_clock import StepClock

# ---------------------------------------------------------------------------------------------- steps
def lead_set_model(cfg: StudyConfig, **kw):
    """The study's classifier (one XGBoost thread unless ``n_jobs`` is given: lead sets run in parallel)."""
    kw.setdefault("n_jobs", 1)
    return LeadGroupedXGBClassifier(n_estimators=cfg.n_estimators, random_state=cfg.seed, **kw)


def _predict_lead_set(cfg, name, X, Y, X_ext, Y_ext, folds):
    """Out-of-fold predictions of lead set ``name`` and, with an external set, its external predictions."""
    pred = cross_validated_predictions(lead_set_model(cfg, leads=name), X, Y, folds)
    ext = external_predictions(lead_set_model(cfg, leads=name), X, Y, X_ext, Y_ext) if len(X_ext) else None
    return pred, ext


def _evaluate_lead_set(cfg, name, pred, ext):
    """AUROC, AUPRC and F1 with bootstrap CIs of one lead set's predictions."""
    res = pred.evaluate(n_boot=cfg.n_boot, random_state=cfg.seed, min_positives=cfg.min_positives)
    res = res.assign(lead_set=name, fit_s=pred.fit_seconds)
    if ext is not None:
        ext = ext.evaluate(n_boot=cfg.n_boot, random_state=cfg.seed, min_positives=min(cfg.min_positives, 3))
        ext = ext.assign(lead_set=name)
    return res, ext


def evaluate_lead_sets(cfg, X, Y, X_ext, Y_ext, folds, progress, clock: StepClock | None = None,
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Internal CV and external test of every lead set: the models (lead sets in parallel, ``cfg.n_jobs``), then
    the bootstrap CIs of their predictions (step ``lead_set_models``, then ``bootstrap``, on ``clock``)."""
    clock = clock or StepClock()
    with clock.step("lead_set_models"):
        preds = list(progress(Parallel(n_jobs=cfg.n_jobs, return_as="generator")(
            delayed(_predict_lead_set)(cfg, name, X, Y, X_ext, Y_ext, folds) for name in cfg.lead_sets),
            desc="lead-set models", total=len(cfg.lead_sets)))
    with clock.step("bootstrap"):
        results = list(progress(Parallel(n_jobs=cfg.n_jobs, return_as="generator")(
            delayed(_evaluate_lead_set)(cfg, name, pred, ext) for name, (pred, ext) in zip(cfg.lead_sets, preds)),
            desc="lead-set bootstrap CIs", total=len(cfg.lead_sets)))
    internal = pd.concat([r for r, _ in results], ignore_index=True)
    ext_rows = [e for _, e in results if e is not None]
    external = pd.concat(ext_rows, ignore_index=True) if ext_rows else pd.DataFrame()
    return internal, external
