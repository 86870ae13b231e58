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
        from scipy.optimize import brentq

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


VALUE_FUNCTIONS = ("missing", "background", "retrain")


def calibration_replication(seed: int, design: CohortDesign = CohortDesign(), *, n_records: int = 2000,
                            heldout_fraction: float = 0.2, truth_records: int = 100_000,
                            background_truth_records: int = 10_000, background_rows: int = 16,
                            value_functions: tuple[str, ...] = VALUE_FUNCTIONS, retrain_evaluations: int = 40,
                            n_estimators: int = 60, n_draws: int = 400) -> pd.DataFrame:
    """One replication of the calibration study: simulate a cohort, fit the model as the study does (lead dropout,
    all-lead dropout, no class weights), estimate global lead Shapley values of held-out AUROC with their CIs under
    each value function, and compute the population values on an independent sample.

    The retraining game is estimated with the study's regression Monte Carlo sampler (``retrain_evaluations``
    distinct coalitions) and its truth is the exact Shapley value over all coalition models' population AUROC.
    Returns one row per value function, label and lead: estimate, total_se, p_holm, truth.
    """
    from ..models.classifier import LeadGroupedXGBClassifier
    from .exact import exact_shapley
    from .games import GlobalScoreGame, RetrainGame
    from .inference import exact_global_draws, multiplier_weights, replayed_draws
    from .regression import regression_shapley

    X, Y = simulate_lead_cohort(n_records, design, random_state=seed)
    rng = np.random.default_rng(seed)
    test = np.zeros(n_records, bool)
    test[rng.choice(n_records, int(round(heldout_fraction * n_records)), replace=False)] = True
    X_train, Y_train, X_test, Y_test = X[~test], Y[~test], X[test], Y[test]
    X_pop, Y_pop = simulate_lead_cohort(truth_records, design, random_state=10_000_019 + seed)

    def make(leads=None, **kw):
        return LeadGroupedXGBClassifier(leads=leads, n_estimators=n_estimators, max_depth=3, imbalance="none",
                                        early_stopping_rounds=None, random_state=seed, **kw)

    xi = multiplier_weights(len(X_test), n_draws, random_state=seed)
    frames = []
    masked = [vf for vf in value_functions if vf in ("missing", "background")]
    if masked:
        model = make(lead_dropout=0.3, empty_dropout=0.05).fit(X_train, Y_train)
        for vf in masked:
            bg = X_train.iloc[rng.choice(len(X_train), background_rows, replace=False)].to_numpy() \
                if vf == "background" else None
            game = GlobalScoreGame(model.predict_label_proba, X_test, Y_test, model.lead_groups_, masking=vf,
                                   background=bg, score="auroc", empty_output=model.priors_)
            draws = exact_global_draws(game, xi, value_function=vf)
            n_pop = truth_records if vf == "missing" else background_truth_records
            pop = GlobalScoreGame(model.predict_label_proba, X_pop.iloc[:n_pop], Y_pop.iloc[:n_pop],
                                  model.lead_groups_, masking=vf, background=bg, score="auroc",
                                  empty_output=model.priors_)
            truth = exact_shapley(pop).values[0]
            frames.append(_replication_rows(draws, truth, seed))
    if "retrain" in value_functions:
        groups = make().fit(X_train.iloc[:50], Y_train.iloc[:50]).lead_groups_
        game = RetrainGame(lambda leads: make(leads), X_train, Y_train, X_test, Y_test, groups)
        def estimate(g):
            return regression_shapley(g, random_state=seed, tol=0.0, max_evaluations=retrain_evaluations)
        result = estimate(game)
        values, contrib = game.record_contributions()
        draws = replayed_draws(estimate, result, values, contrib, xi, game.players, game.outputs, "retrain")
        pop = RetrainGame(lambda leads: make(leads), X_train, Y_train, X_pop, Y_pop, groups)
        truth = exact_shapley(pop).values[0]
        frames.append(_replication_rows(draws, truth, seed))
    return pd.concat(frames, ignore_index=True)


def _replication_rows(draws, truth: np.ndarray, seed: int) -> pd.DataFrame:
    table = draws.summary()
    table["truth"] = truth.T.ravel()  # summary rows: label-major, then lead
    table["seed"] = seed
    return table[["seed", "value_function", "label", "lead", "estimate", "total_se", "mc_se", "ci_low", "ci_high",
                  "p_holm", "p_top1", "truth"]]


def summarise_calibration(rows: pd.DataFrame, design: CohortDesign = CohortDesign(),
                          alpha: float = 0.05) -> dict[str, float]:
    """Coverage of the CIs per (value function, label, lead): its minimum and median; the family-wise rate at which
    any lead is declared important (Holm p < alpha) for the null label (worst value function); and the share of
    replications in which the planted lead has the largest estimate for the planted label (worst value function)."""
    inside = (rows["ci_low"] <= rows["truth"]) & (rows["truth"] <= rows["ci_high"])
    coverage = inside.groupby([rows["value_function"], rows["label"], rows["lead"]]).mean()
    null = rows[rows["label"] == "null"]
    fwer = (null["p_holm"] < alpha).groupby([null["value_function"], null["seed"]]).any() \
        .groupby(level=0).mean()
    planted = rows[rows["label"] == "planted"]
    top = planted.loc[planted.groupby(["value_function", "seed"])["estimate"].idxmax()]
    top1 = (top["lead"] == design.planted_lead).groupby(top["value_function"]).mean()
    return {"coverage_min": float(coverage.min()), "coverage_median": float(coverage.median()),
            "null_fwer": float(fwer.max()), "planted_top1": float(top1.min()),
            "replications": int(rows["seed"].nunique())}
