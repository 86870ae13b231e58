"""The study's lead-set step: internal cross-validation and external test of a model per lead set."""
from __future__ import annotations


import pandas as pd
from joblib import Parallel, delayed

from ..models.classifier import LeadGroupedXGBClassifier
from ..models.protocols import cross_validated_predictions, external_predictions
from .config import StudyConfig

# ---------------------------------------------------------------------------------------------- steps
def lead_set_model(cfg: StudyConfig, **kw):
    return LeadGroupedXGBClassifier(n_estimators=cfg.n_estimators, random_state=cfg.seed, n_jobs=1, **kw)


def _one_lead_set(cfg, name, X, Y, X_ext, Y_ext, folds):
    pred = cross_validated_predictions(lead_set_model(cfg, leads=name), X, Y, folds)
    res = pred.evaluate(n_boot=cfg.n_boot, random_state=cfg.seed, min_positives=cfg.min_positives)
    res = res.assign(lead_set=name, fit_s=pred.fit_seconds)
    ext = None
    if len(X_ext):
        ep = external_predictions(lead_set_model(cfg, leads=name), X, Y, X_ext, Y_ext)
        ext = ep.evaluate(n_boot=cfg.n_boot, random_state=cfg.seed, min_positives=min(cfg.min_positives, 3))
        ext = ext.assign(lead_set=name)
    return res, ext


def evaluate_lead_sets(cfg, X, Y, X_ext, Y_ext, folds, progress) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Internal CV and external test of every lead set, lead sets in parallel (``cfg.n_jobs``)."""
    results = list(progress(Parallel(n_jobs=cfg.n_jobs, return_as="generator")(
        delayed(_one_lead_set)(cfg, name, X, Y, X_ext, Y_ext, folds) for name in cfg.lead_sets),
        desc="lead sets (CV models + bootstrap)", total=len(cfg.lead_sets)))
    internal = pd.concat([r for r, _ in results], ignore_index=True)
    ext_rows = [e for _, e in results if e is not None]
    external = pd.concat(ext_rows, ignore_index=True) if ext_rows else pd.DataFrame()
    return internal, external
