"""Simulated lead-grouped cohorts whose lead importance is known: the calibration test of the importance CIs.

Each lead has ``features_per_lead`` standard-normal feature columns ``"{lead}__f{j}"``. Three latent signals
drive the labels:
- ``planted``: ``logit = effect · z_a``, where z_a is carried by one lead only (``planted_lead``, its first
  feature, measured with small noise).
- ``redundant``: ``logit = effect · z_b + effect/2 · z_c``. z_b is carried by two leads (``twin_leads``, the same
  information, each with independent noise), and z_c by one more lead (``weak_lead``).
- ``null``: independent of every feature (no lead predicts it).
Intercepts set each label's prevalence to about ``prevalence``. Every other column is noise.

The population value of any value function of a fitted model is computed on an independent sample drawn by the
same generator (:func:`simulate_lead_cohort` with another seed), so it is known to the precision of that sample's
size.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.optimize import brentq

from .._constants import LEADS

SIMULATED_LABELS = ("planted", "redundant", "null")


@dataclass(frozen=True)
class CohortDesign:
    """Which leads carry which signal, the effect size (log-odds per SD) and the prevalence."""

    leads: tuple[str, ...] = ("I", "II", "aVF", "V1", "V2", "V5")
    planted_lead: str = "V2"
    twin_leads: tuple[str, str] = ("II", "aVF")
    weak_lead: str = "V5"
    effect: float = 2.5
    prevalence: float = 0.25
    features_per_lead: int = 2
    measurement_noise: float = 0.3

    def __post_init__(self) -> None:
        unknown = [lead for lead in (self.planted_lead, *self.twin_leads, self.weak_lead) if lead not in self.leads]
        if unknown or any(lead not in LEADS for lead in self.leads):
            raise ValueError(f"design leads must be among the cohort's leads {self.leads} and the 12 ECG leads; "
                             f"got {unknown or self.leads}")


def simulate_lead_cohort(n_records: int, design: CohortDesign = CohortDesign(),
                         random_state: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(X, Y): ``n_records`` rows of lead-grouped features and the three labels of :data:`SIMULATED_LABELS`."""
    rng = np.random.default_rng(random_state)
    n, f = n_records, design.features_per_lead
    z = rng.standard_normal((n, 3))  # z_a, z_b, z_c
    X = rng.standard_normal((n, len(design.leads), f))
    noise = design.measurement_noise
    carriers = {design.planted_lead: 0, design.twin_leads[0]: 1, design.twin_leads[1]: 1, design.weak_lead: 2}
    for lead, k in carriers.items():
        i = design.leads.index(lead)
        X[:, i, 0] = (z[:, k] + noise * rng.standard_normal(n)) / np.sqrt(1 + noise ** 2)
    cols = [f"{lead}__f{j}" for lead in design.leads for j in range(f)]
    Xf = pd.DataFrame(X.reshape(n, -1), columns=cols)
    # intercepts for the prevalence (logistic-normal mean matched by a probit approximation)
    def intercept(sd: float) -> float:
        g = rng_fixed.standard_normal(200_000) * sd
        return brentq(lambda b: expit(b + g).mean() - design.prevalence, -20, 20)

    rng_fixed = np.random.default_rng(12345)
    e = design.effect
    b_planted = intercept(e)
    b_redundant = intercept(float(np.hypot(e, e / 2)))
    logits = {"planted": b_planted + e * z[:, 0], "redundant": b_redundant + e * z[:, 1] + e / 2 * z[:, 2]}
    Y = pd.DataFrame({lab: (rng.random(n) < expit(logit)).astype(float) for lab, logit in logits.items()})
    Y["null"] = (rng.random(n) < design.prevalence).astype(float)
    return Xf, Y[list(SIMULATED_LABELS)]

