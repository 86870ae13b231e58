"""Evaluation: per-label and macro AUROC, AUPRC and F1 with bootstrap CIs, and the CinC-2021 challenge metric."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence
import warnings

import numpy as np
import pandas as pd

from ..scoring import auroc  # noqa: F401  (one AUROC for metrics and importance; re-exported)
from ..records.labels import LabelTable

NSR_CODE = "426783006"


def scorable_labels(y_true: np.ndarray, labels: Sequence[str], min_positives: int = 5) -> list[str]:
    """Labels with at least ``min_positives`` positives and ``min_positives`` negatives (NaN = unknown)."""
    y = np.asarray(y_true, float)
    out = []
    for k, lab in enumerate(labels):
        col = y[:, k][~np.isnan(y[:, k])]
        if (col == 1).sum() >= min_positives and (col == 0).sum() >= min_positives:
            out.append(lab)
    return out


def auprc(y: np.ndarray, p: np.ndarray) -> float:
    """Average precision (step-wise area under the precision-recall curve), as scikit-learn computes it."""
    y = np.asarray(y, bool)
    n1 = int(y.sum())
    if n1 == 0:
        return np.nan
    order = np.argsort(-np.asarray(p), kind="mergesort")
    ps, ys = np.asarray(p)[order], y[order]
    last = np.r_[ps[1:] != ps[:-1], True]  # last index of each run of tied scores
    tp = np.cumsum(ys)[last]
    fp = np.cumsum(~ys)[last]
    precision = tp / (tp + fp)
    recall = tp / n1
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def f1(y: np.ndarray, hard: np.ndarray) -> float:
    y = np.asarray(y, bool)
    h = np.asarray(hard, bool)
    tp = float((y & h).sum())
    denom = float(y.sum() + h.sum())
    return 2 * tp / denom if denom else 0.0


_BOOT_BATCH = 50  # bootstrap replicates scored together (a (50, n_records) array of counts)


class _SortedLabel:
    """One label's known records sorted once by score, so that a bootstrap replicate — given as how many times
    each record was drawn — is scored in O(n) without resampling or sorting: AUROC (Mann-Whitney, ties one half),
    AUPRC (as :func:`auprc`) and F1 of the hard predictions, equal to scoring the resampled records."""

    def __init__(self, y: np.ndarray, p: np.ndarray, hard: np.ndarray):
        known = np.flatnonzero(~np.isnan(y))
        order = known[np.argsort(p[known], kind="mergesort")]  # ascending score
        ps = p[order]
        self.rows = order
        ends = np.flatnonzero(np.r_[ps[1:] != ps[:-1], True])  # last record of each run of tied scores
        self.run_ends = None if len(ends) == len(ps) else ends  # None: no ties
        self.pos = (y[order] == 1).astype(float)
        self.hard = (hard[order] == 1).astype(float)

    def metrics(self, counts: np.ndarray) -> np.ndarray:
        """(replicates, 3): AUROC, AUPRC, F1 of each replicate; ``counts`` (replicates, n_records) holds how many
        times each record was drawn. NaN where a replicate holds one class only."""
        c = counts[:, self.rows]
        cp = c * self.pos
        cum_pos, cum_all = np.cumsum(cp, axis=1), np.cumsum(c, axis=1)  # ascending score, inclusive
        if self.run_ends is not None:  # per run of tied scores
            cum_pos, cum_all = cum_pos[:, self.run_ends], cum_all[:, self.run_ends]
        cum_neg = cum_all - cum_pos
        n1, n0 = cum_pos[:, -1], cum_neg[:, -1]
        pos = np.diff(cum_pos, axis=1, prepend=0.0)  # positives and negatives of each run
        neg = np.diff(cum_neg, axis=1, prepend=0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            au = (pos * (cum_neg - 0.5 * neg)).sum(axis=1) / (n1 * n0)  # negatives below, ties one half
            tp = n1[:, None] - cum_pos + pos  # at or above the run's score: its precision-recall point
            fp = n0[:, None] - cum_neg + neg
            ap = (pos * (tp / np.maximum(tp + fp, 1.0))).sum(axis=1) / n1
            denom = n1 + (c * self.hard).sum(axis=1)
            f1s = np.where(denom > 0, 2 * (cp * self.hard).sum(axis=1) / np.maximum(denom, 1.0), 0.0)
        out = np.column_stack([au, ap, f1s])
        out[(n1 == 0) | (n0 == 0)] = np.nan
        return out


def _percentile_interval(replicates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2.5 and 97.5 percentiles of (replicates, 3) bootstrap metrics; NaN without replicates (``n_boot=0``)."""
    if len(replicates) == 0:
        return np.full(3, np.nan), np.full(3, np.nan)
    lo, hi = np.nanpercentile(replicates, [2.5, 97.5], axis=0)
    return lo, hi


def evaluate_labels(y_true, y_prob, thresholds: Sequence[float] | None = None, labels: Sequence[str] | None = None,
                    *, hard=None, min_positives: int = 5, n_boot: int = 1000,
                    random_state: int | None = 0) -> pd.DataFrame:
    """Per-label and macro AUROC, AUPRC and F1 with percentile bootstrap 95 % CIs (records resampled).

    Only labels with ``min_positives`` positives and negatives are scored; the others appear with
    ``scored=False`` and NaN metrics. The macro row averages the scored labels within each bootstrap replicate.
    F1 scores ``hard`` (0/1 predictions, e.g. thresholded per fold) when given, else ``y_prob ≥ thresholds``.
    Each label's records are sorted once; a replicate is scored from how often it drew each record, in O(n).
    ``n_boot=0``: point metrics only, NaN intervals.
    """
    y = np.asarray(y_true, float)
    p = np.asarray(y_prob, float)
    labels = list(labels) if labels is not None else (list(y_true.columns) if isinstance(y_true, pd.DataFrame)
                                                       else [f"label{k}" for k in range(y.shape[1])])
    t = np.full(y.shape[1], 0.5) if thresholds is None else np.asarray(thresholds, float)
    hard = (p >= t).astype(float) if hard is None else np.asarray(hard, float).reshape(p.shape)
    scored = scorable_labels(y, labels, min_positives)
    idx = [labels.index(lab) for lab in scored]
    labels_sorted = [_SortedLabel(y[:, k], p[:, k], hard[:, k]) for k in idx]
    every_record_once = np.ones((1, len(y)))
    point = {k: tuple(lab.metrics(every_record_once)[0]) for k, lab in zip(idx, labels_sorted)}
    boots = np.full((n_boot, len(idx), 3), np.nan)
    rng = np.random.default_rng(random_state)
    for b0 in range(0, n_boot, _BOOT_BATCH):  # replicate b draws the same records as a loop of single draws
        draws = rng.integers(0, len(y), (min(_BOOT_BATCH, n_boot - b0), len(y)))
        offsets = np.arange(len(draws))[:, None] * len(y)
        counts = np.bincount((draws + offsets).ravel(), minlength=draws.size).reshape(draws.shape).astype(float)
        for j, lab in enumerate(labels_sorted):
            boots[b0:b0 + len(draws), j] = lab.metrics(counts)
    rows = []
    for j, k in enumerate(idx):
        lo, hi = _percentile_interval(boots[:, j])
        au, ap, f1 = point[k]
        col = y[:, k][~np.isnan(y[:, k])]
        rows.append({"label": labels[k], "scored": True, "n_pos": int((col == 1).sum()), "n": len(col),
                     "auroc": au, "auroc_lo": lo[0], "auroc_hi": hi[0], "auprc": ap, "auprc_lo": lo[1],
                     "auprc_hi": hi[1], "f1": f1, "f1_lo": lo[2], "f1_hi": hi[2]})
    for k, lab in enumerate(labels):
        if lab not in scored:
            col = y[:, k][~np.isnan(y[:, k])]
            rows.append({"label": lab, "scored": False, "n_pos": int((col == 1).sum()), "n": len(col)})
    if idx:
        with warnings.catch_warnings():  # a replicate may hold no scorable label (tiny external sets)
            warnings.simplefilter("ignore", RuntimeWarning)
            macro_boot = np.nanmean(boots, axis=1)
        lo, hi = _percentile_interval(macro_boot)
        pts = np.array([point[k] for k in idx])
        au, ap, f1 = np.nanmean(pts, axis=0)
        rows.append({"label": "macro", "scored": True, "n_pos": int(sum(r["n_pos"] for r in rows if r["scored"])),
                     "n": len(y), "auroc": au, "auroc_lo": lo[0], "auroc_hi": hi[0], "auprc": ap,
                     "auprc_lo": lo[1], "auprc_hi": hi[1], "f1": f1, "f1_lo": lo[2], "f1_hi": hi[2]})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ CinC 2021
def read_challenge_weights(path: str | Path) -> tuple[list[str], np.ndarray]:
    """``weights.csv`` → (class names as in the file, e.g. '713427006|59118001', weight matrix)."""
    w = pd.read_csv(path, index_col=0)
    classes = [str(c) for c in w.columns]
    if [str(i) for i in w.index] != classes:
        raise ValueError(f"{path}: rows and columns name different classes")
    return classes, w.to_numpy(dtype=float)


def modified_confusion_matrix(labels: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """The challenge's multi-label confusion matrix: each record spreads weight 1/|labels ∪ outputs|."""
    labels = np.asarray(labels, bool)
    outputs = np.asarray(outputs, bool)
    norm = np.maximum((labels | outputs).sum(axis=1), 1).astype(float)
    return labels.T.astype(float) @ (outputs / norm[:, None])


def challenge_score(labels: np.ndarray, outputs: np.ndarray, weights: np.ndarray, normal_index: int) -> float:
    """CinC-2021 challenge metric: (observed − inactive) / (correct − inactive), where 'inactive' outputs
    only the normal class (sinus rhythm) and 'correct' outputs the labels. Classes already merged as in
    ``weights.csv``."""
    labels = np.asarray(labels, bool)
    outputs = np.asarray(outputs, bool)
    observed = float((weights * modified_confusion_matrix(labels, outputs)).sum())
    correct = float((weights * modified_confusion_matrix(labels, labels)).sum())
    inactive_out = np.zeros_like(labels)
    inactive_out[:, normal_index] = True
    inactive = float((weights * modified_confusion_matrix(labels, inactive_out)).sum())
    return (observed - inactive) / (correct - inactive) if correct != inactive else 0.0


def challenge_score_for_label_set(y_true: pd.DataFrame, y_pred: np.ndarray, weights_csv: str | Path) -> float:
    """Challenge metric for predictions on ecgfeat's ``cinc2021`` label set (labels such as 'CRBBB|RBBB').

    Columns of ``y_true`` are matched to the weight classes through the label table's SNOMED codes; unknown
    (NaN) labels count as absent, as in the challenge.
    """
    table = LabelTable.load()
    classes, w = read_challenge_weights(weights_csv)
    col_of = {}
    for lab in y_true.columns:
        key = "|".join(table.codes("cinc2021", lab, "snomed"))
        if key not in classes:
            raise ValueError(f"label {lab!r} (codes {key}) is not a challenge class")
        col_of[classes.index(key)] = list(y_true.columns).index(lab)
    n = len(y_true)
    L = np.zeros((n, len(classes)), bool)
    O = np.zeros((n, len(classes)), bool)
    yt = np.nan_to_num(y_true.to_numpy(float)) > 0
    yp = np.asarray(y_pred, bool)
    for c, j in col_of.items():
        L[:, c] = yt[:, j]
        O[:, c] = yp[:, j]
    return challenge_score(L, O, w, classes.index(NSR_CODE))
