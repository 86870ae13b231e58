"""Scores of predicted probabilities against 0/1/NaN labels, one per label (NaN labels ignored).

The bottom of the house (numpy and scipy only): the models' metrics and the importance layer's value functions
both score with these, so a lead's value and a model's reported AUROC are the same number.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

SCORES = ("auroc", "neg_log_loss")
_EPS = 1e-7  # probabilities are clipped to [eps, 1 - eps] before a log-loss


def auroc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve via the Mann-Whitney statistic (ties count one half); NaN for one class."""
    y = np.asarray(y, bool)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return np.nan
    r = rankdata(p)
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def neg_log_loss(y: np.ndarray, p: np.ndarray) -> float:
    """Mean log-likelihood of 0/1 labels ``y`` under probabilities ``p`` (higher is better, ≤ 0)."""
    q = np.clip(p, _EPS, 1 - _EPS)
    return float(np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def label_scores(y: np.ndarray, p: np.ndarray, score: str) -> np.ndarray:
    """Per-label ``score`` of probabilities ``p`` (n, K) against labels ``y`` (n, K; NaN = unknown, ignored).
    AUROC is NaN for a label whose known values are all one class."""
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}")
    y = np.asarray(y, dtype=float).reshape(len(p), -1)
    p = np.asarray(p, dtype=float).reshape(len(p), -1)
    out = np.empty(y.shape[1])
    for k in range(y.shape[1]):
        known = ~np.isnan(y[:, k])
        yk, pk = y[known, k], np.clip(p[known, k], _EPS, 1 - _EPS)
        if score == "neg_log_loss":
            out[k] = neg_log_loss(yk, pk)
        else:
            out[k] = auroc(yk, pk) if 0 < yk.sum() < len(yk) else np.nan
    return out
