"""Evaluation protocols: grouped cross-validation (internal) and train-on-one, test-on-another (external)."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone

from .metrics import evaluate_labels


@dataclass
class Predictions:
    """Out-of-fold (or external) probabilities and thresholded predictions, aligned with ``y``."""

    y: pd.DataFrame
    proba: np.ndarray
    hard: np.ndarray
    fit_seconds: float

    def evaluate(self, **kwargs) -> pd.DataFrame:
        """AUROC/AUPRC from the probabilities; F1 from the per-fold thresholded predictions."""
        return evaluate_labels(self.y, self.proba, labels=list(self.y.columns), hard=self.hard, **kwargs)


def cross_validated_predictions(estimator, X: pd.DataFrame, y: pd.DataFrame, folds: np.ndarray) -> Predictions:
    """Fit a clone of ``estimator`` per fold (test = that fold, train = the rest); pool the test predictions."""
    proba = np.full(y.shape, np.nan)
    hard = np.full(y.shape, np.nan)
    seconds = 0.0
    for f in np.unique(folds):
        test = folds == f
        model = clone(estimator)
        t0 = time.perf_counter()
        model.fit(X.loc[~test], y.loc[~test])
        seconds += time.perf_counter() - t0
        proba[test] = model.predict_label_proba(X.loc[test])
        hard[test] = model.predict(X.loc[test])
    return Predictions(y, proba, hard, seconds)


def external_predictions(estimator, X_train: pd.DataFrame, y_train: pd.DataFrame, X_test: pd.DataFrame,
                         y_test: pd.DataFrame) -> Predictions:
    """Fit on one dataset, predict another (same feature columns and label set)."""
    model = clone(estimator)
    t0 = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - t0
    return Predictions(y_test, model.predict_label_proba(X_test), model.predict(X_test), seconds)
