"""Choosing delineation parameters without scoring on the records they were chosen on: cross-validation over
records. Each candidate (a parameter setting) is scored per record once; for each fold the candidate with the best
objective on the other folds' records is applied to the fold's own records, and only those out-of-fold scores are
reported.

``scores`` tables have one row per (record, candidate, tolerance, fiducial, lead) with the match counts ``tp``,
``fn``, ``fp`` and ``errors_ms`` (a list of detection − annotation timing errors of the matches, in ms), as
:func:`record_scores` makes them from a :class:`~ecgfeat.features.delineation_scoring.ScoreAccumulator`.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

from .delineation_scoring import ScoreAccumulator

SCORE_COLUMNS = ["record", "candidate", "tolerance", "fiducial", "lead", "tp", "fn", "fp", "errors_ms"]


def record_scores(record: str, candidate: str, accumulators: Sequence[ScoreAccumulator]) -> pd.DataFrame:
    """One record's scores for one candidate: a row per tolerance, fiducial and lead."""
    rows = [(record, candidate, acc.label, name, lead, tp, fn, fp, list(errs))
            for acc in accumulators for (_, name, lead), (errs, tp, fn, fp) in acc.rows.items()]
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def record_folds(records: Sequence[str], n_folds: int = 5, random_state: int = 0) -> dict[str, int]:
    """Record → fold (0 … n_folds − 1), a random balanced assignment."""
    if not 2 <= n_folds <= len(records):
        raise ValueError(f"n_folds must be between 2 and the number of records ({len(records)}), got {n_folds}")
    order = np.random.default_rng(random_state).permutation(len(records))
    return {str(records[i]): int(k % n_folds) for k, i in enumerate(order)}


def f1_by_fiducial(scores: pd.DataFrame) -> pd.Series:
    """F1 (%) per (tolerance, fiducial) from summed counts: 2 TP / (2 TP + FN + FP)."""
    g = scores.groupby(["tolerance", "fiducial"])[["tp", "fn", "fp"]].sum()
    return 200 * g.tp / (2 * g.tp + g.fn + g.fp).clip(lower=1)


def mean_f1(scores: pd.DataFrame) -> float:
    """Default objective: mean F1 over every tolerance and fiducial scored."""
    return float(f1_by_fiducial(scores).mean())


def cross_validate_choice(scores: pd.DataFrame, folds: dict[str, int],
                          objective: Callable[[pd.DataFrame], float] = mean_f1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For each fold, the candidate maximising ``objective`` on the other folds' records, and its scores on the
    fold's own records.

    Returns (choices: fold, candidate, tuning objective, held-out objective, records; out_of_fold: the rows of
    ``scores`` for each record under the candidate chosen without it).
    """
    fold_of = scores["record"].astype(str).map(folds)
    if fold_of.isna().any():
        raise ValueError(f"records without a fold: {sorted(set(scores.record[fold_of.isna()]))[:5]}")
    choices, held_out = [], []
    for k in sorted(set(folds.values())):
        tuning = scores[fold_of != k]
        by_candidate = {c: objective(part) for c, part in tuning.groupby("candidate", sort=True)}
        best = max(by_candidate, key=lambda c: (by_candidate[c], c))
        part = scores[(fold_of == k) & (scores["candidate"] == best)]
        held_out.append(part)
        choices.append({"fold": k, "candidate": best, "tuning_objective": by_candidate[best],
                        "held_out_objective": objective(part), "records": int(part["record"].nunique())})
    return pd.DataFrame(choices), pd.concat(held_out, ignore_index=True)


def timing_summary(scores: pd.DataFrame, by: Sequence[str] = ("candidate", "tolerance", "fiducial")) -> pd.DataFrame:
    """Sensitivity, PPV, F1 (%) and the timing error of matches (bias = mean, SD with ddof 1, 95th percentile of
    |error|, ms) per group of ``by``."""
    out = []
    for key, g in scores.groupby(list(by), sort=True, observed=True):
        tp, fn, fp = int(g.tp.sum()), int(g.fn.sum()), int(g.fp.sum())
        errs = np.concatenate([np.asarray(e, float) for e in g.errors_ms]) if len(g) else np.zeros(0)
        out.append((*np.atleast_1d(key), tp, fn, fp, 100 * tp / max(tp + fn, 1), 100 * tp / max(tp + fp, 1),
                    200 * tp / max(2 * tp + fn + fp, 1), float(errs.mean()) if len(errs) else np.nan,
                    float(errs.std(ddof=1)) if len(errs) > 1 else np.nan,
                    float(np.percentile(np.abs(errs), 95)) if len(errs) else np.nan))
    return pd.DataFrame(out, columns=[*by, "tp", "fn", "fp", "sensitivity_pct", "ppv_pct", "f1_pct", "bias_ms",
                                      "sd_ms", "p95_abs_ms"])
