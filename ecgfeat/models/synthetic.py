"""Synthetic lead-grouped feature cohorts with planted truth (for tests, benchmarks and demos)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .._constants import LEADS


def make_lead_cohort(n_samples: int = 600, n_features_per_lead: int = 4, signal_leads: Sequence[str] = ("V1",),
                     n_labels: int = 1, effect: float = 2.0, random_state: int | None = 0,
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Features ``"{lead}__f{k}"`` (standard normal) and labels that depend only on ``signal_leads``.

    Label ``k`` is positive when ``effect · x + noise > threshold`` where ``x`` is feature ``f{k}`` of the signal
    leads (summed): every other lead is pure noise, so a correct lead importance ranks the signal leads first.
    """
    rng = np.random.default_rng(random_state)
    cols = [f"{lead}__f{k}" for lead in LEADS for k in range(n_features_per_lead)]
    X = pd.DataFrame(rng.standard_normal((n_samples, len(cols))).astype(np.float32), columns=cols)
    Y = {}
    for k in range(n_labels):
        z = sum(X[f"{lead}__f{k % n_features_per_lead}"].to_numpy() for lead in signal_leads)
        logit = effect * z + rng.standard_normal(n_samples) * 0.5 - 1.0
        Y[f"label{k}"] = (logit > 0).astype(float)
    return X, pd.DataFrame(Y)
