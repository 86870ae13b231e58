"""Uncertainty over the records for lead Shapley values of global games (held-out AUROC or log-likelihood).

**Estimand.** The Shapley value, with leads as players, of the population score ``v(S)`` of the fitted model(s) on
the population the held-out records come from. The models are fixed (trained once), and the held-out records are
the random sample.

**Method.** A held-out score is asymptotically linear in the records: ``v̂(S) − v(S) ≈ Σ_r a_r(S)``.
- For AUROC, ``a_r`` are DeLong's placements (DeLong, DeLong & Clarke-Pearson 1988, *Biometrics* 44:837; the
  fast midrank form of Sun & Xu 2014).
- For the mean log-likelihood, ``a_r`` is the record's centred log-likelihood over n.

A Shapley value is a fixed linear combination of coalition values (exact enumeration), or a smooth function of
the evaluated ones (Monte Carlo). Its influence function is therefore the Shapley combination of the coalitions'
influence functions. This is the argument of SPVIM (Williamson & Feng 2020, *ICML*, "Efficient nonparametric
statistical inference on population feature importance using Shapley values").

We draw ``v*_b(S) = v̂(S) + Σ_r ξ_br a_r(S)`` with ``ξ ~ N(0, 1)`` (a Gaussian multiplier bootstrap). The same
``ξ`` is shared by every coalition, label and value function explained on the same records. The draws are pushed
through the same estimator. From them we get:
- the joint sampling distribution of all leads' values;
- each lead's rank (P(top 1), P(top 3));
- pairwise differences;
- rank agreement between value functions.

Unlike a record bootstrap, nothing is re-predicted, so the cost is one pass over the coalitions. Monte Carlo
error (coalition sampling) is independent of the records' sampling and adds in variance.

**Refitting (the retraining game).** A coalition model's held-out score also varies from fit to fit (XGBoost's
row and column subsampling): ``v̂(S) = v̄(S) + η(S)``, with ``v̄`` the mean over fits. Its Shapley values are those
of ``v̄`` plus the same combination of the ``η``. Refitting a random subset of the evaluated coalitions with a
second seed estimates, per output, ``σ² = mean((v̂₂(S) − v̂₁(S))²) / 2`` (:func:`refit_variance`); draws of
independent ``η(S) ~ N(0, σ²)`` (none for ∅, whose value is the prior) are pushed through the same estimator
(``refit_draws``) and add in variance. On a rehearsal (``benchmarks/bench_retrain_model.py --study-trees 300
--study-rate 0.1 --fast-trees 300 --fast-rate 0.1 --fast-seed 1``) the fit noise of two coalitions that differ by
one lead was nearly uncorrelated (median r 0.05, largest 0.23 over 10 labels), and 32 refits estimated its SD
within 0.75–1.23 times the SD over all 511 coalitions.

Not included: the variation of refitting the models on another training sample (training records, as opposed to
seeds). The intervals are conditional on the training records. ``benchmarks/bench_importance_calibration.py``
measures coverage against population values computed on 10^5 independent records.

**Small samples.** The variance estimate of a lead's value is itself noisy when a label has few held-out
positives, and normal quantiles then give intervals that are too short and tests that reject too often. For AUROC
the influence is a sum over the positives plus one over the negatives (a two-sample statistic), so intervals and
tests use Student's t with ``min(n₊, n₋) − 1`` degrees of freedom, the conservative bound of the Welch–
Satterthwaite degrees of freedom (Hsu 1938, *Statistical Research Memoirs* 2:1; Welch 1947, *Biometrika* 34:28);
``n − 1`` for the log-likelihood (:func:`conservative_df`). It needs no per-record influence of a lead, so exact
enumeration and the Monte Carlo estimators get the same. Monte Carlo and refit variance are treated as known
(:func:`combined_df`). Measured by ``benchmarks/bench_small_sample_tests.py`` (1,000 simulated cohorts per size, a
null label, the study's importance model fitted on each, masked games by exact enumeration; the choice was made on
other replications): at about 12 / 25 / 100 held-out positives normal quantiles covered 0.936 / 0.942 / 0.949 and
declared a null lead important (Holm over 6 leads) in up to 0.077 / 0.077 / 0.054 of cohorts; these degrees of
freedom cover 0.961 / 0.953 / 0.952 with rates up to 0.034 / 0.054 / 0.048 (mean over missing and background
masking, worst of the two). Welch–Satterthwaite degrees of freedom from each lead's influence came closer to
0.95 there (0.950 at 12 positives, rates up to 0.057 / 0.061 / 0.050), and covered 0.942 with a rate of 0.075
for a fixed linear model at 10 positives, where this bound gives 0.961 and 0.036
(``test_a_null_label_with_ten_held_out_positives_keeps_its_coverage``). Probabilities of rank (``p_top1``,
``p_top3``) and rank agreement come from the same draws made multivariate t: each draw's data deviation is scaled
by ``sqrt(df / χ²_df)`` (:func:`t_scale_factors`), so that they carry the variance estimate's uncertainty too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy.stats import chi2, kendalltau, norm, rankdata
from scipy.stats import t as student_t
from tqdm.auto import tqdm

from ..scoring import _EPS, SCORES
from .coalitions import CachedGame, coalition_codes, coalition_masks
from .exact import all_coalitions, shapley_weights
from .games import Game, GlobalScoreGame
from .result import LeadShapley

Z95 = float(norm.ppf(0.975))


# ------------------------------------------------------------------------------- per-record contributions
def score_contributions(y: np.ndarray, p: np.ndarray, score: str) -> tuple[np.ndarray, np.ndarray]:
    """Scores and per-record linear contributions of a batch of predictions.

    y : (n, L) 0/1 labels, NaN = unknown (contributes nothing)
    p : (c, n, L) predicted probabilities of ``c`` coalitions (or models)
    Returns values (c, L) and contributions (c, n, L) with ``Var(v̂) ≈ Σ_r a_r²`` (DeLong's variance for AUROC,
    with its n − 1 denominators). AUROC of a label with one class is NaN with zero contributions.
    """
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}")
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    c, n, n_out = p.shape
    values = np.full((c, n_out), np.nan)
    contrib = np.zeros((c, n, n_out))
    for k in range(n_out):
        known = ~np.isnan(y[:, k])
        yk = y[known, k].astype(bool)
        pk = np.clip(p[:, known, k], _EPS, 1 - _EPS)
        if score == "neg_log_loss":
            ll = np.where(yk, np.log(pk), np.log(1 - pk))  # (c, n_known)
            m = len(yk)
            if m == 0:
                continue
            values[:, k] = ll.mean(axis=1)
            if m > 1:
                contrib[:, np.flatnonzero(known), k] = (ll - values[:, k, None]) / np.sqrt(m * (m - 1))
            continue
        n1, n0 = int(yk.sum()), int((~yk).sum())
        if n1 == 0 or n0 == 0:
            continue
        r_all = rankdata(pk, axis=1)
        r_pos = rankdata(pk[:, yk], axis=1)
        r_neg = rankdata(pk[:, ~yk], axis=1)
        v10 = (r_all[:, yk] - r_pos) / n0  # placement of each positive: share of negatives below it
        v01 = 1.0 - (r_all[:, ~yk] - r_neg) / n1  # share of positives above each negative
        auc = v10.mean(axis=1)
        values[:, k] = auc
        a = np.zeros((c, len(yk)))
        if n1 > 1:
            a[:, yk] = (v10 - auc[:, None]) / np.sqrt(n1 * (n1 - 1))
        if n0 > 1:
            a[:, ~yk] = (v01 - auc[:, None]) / np.sqrt(n0 * (n0 - 1))
        contrib[:, np.flatnonzero(known), k] = a
    return values, contrib


def conservative_df(y: np.ndarray, score: str) -> np.ndarray:
    """(n_outputs,) degrees of freedom of a held-out score's standard error: ``min(n₊, n₋) − 1`` for AUROC, the
    lower bound of Welch–Satterthwaite's for a two-sample statistic (Hsu 1938), ``n − 1`` for the log-likelihood;
    labels unknown (NaN) are not counted. ``inf`` (normal) where a group has fewer than 2 records: no variance is
    estimated there."""
    if score not in SCORES:
        raise ValueError(f"score must be one of {SCORES}, got {score!r}")
    y = np.asarray(y, dtype=float)
    y = y.reshape(len(y), -1)
    known = ~np.isnan(y)
    if score == "auroc":
        size = np.minimum((y == 1).sum(axis=0), (known & (y == 0)).sum(axis=0))
    else:
        size = known.sum(axis=0)
    return np.where(size > 1, size - 1.0, np.inf)


def combined_df(total_se: np.ndarray, data_se: np.ndarray, data_df: np.ndarray) -> np.ndarray:
    """Satterthwaite degrees of freedom of ``total_se² = data_se² + (variance treated as known)``:
    ``total_se⁴ / (data_se⁴ / data_df)``, ``inf`` where the data variance is 0."""
    total_se, data_se = np.asarray(total_se, float), np.asarray(data_se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = total_se ** 4 / (data_se ** 4 / np.asarray(data_df, float))
    return np.where(data_se > 0, df, np.inf)


#: seed of :func:`t_scale_factors`' uniforms: fixed, so that value functions valued on the same records (the same
#: ``data_df``) get the same factor in each draw and their joint draws stay joint
T_SCALE_SEED = 20_251_204


def t_scale_factors(n_draws: int, df: np.ndarray) -> np.ndarray:
    """(n_draws, len(df)) factors ``sqrt(df / χ²_df)``: a Gaussian draw times its factor is a Student-t draw with
    ``df`` degrees of freedom (the variance estimate's own uncertainty). One uniform per draw, shared by every
    output (quantile transform; ``inf`` df: factor 1)."""
    df = np.atleast_1d(np.asarray(df, dtype=float))
    u = np.random.default_rng(T_SCALE_SEED).uniform(size=n_draws)[:, None]
    finite = np.isfinite(df) & (df > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.sqrt(np.where(finite, df, 1.0) / chi2.ppf(u, np.where(finite, df, 1.0)))
    return np.where(finite, factor, 1.0)


def auroc_interval(auc: np.ndarray, se: np.ndarray, n_pos: np.ndarray, n_neg: np.ndarray,
                   z: float = Z95, df: np.ndarray | float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of an AUROC from its (DeLong) standard error, on the logit scale so that it stays
    within [0, 1] and is longer towards 0.5 (Pepe 2003, *The Statistical Evaluation of Medical Tests*, §5.2.3).

    At a perfect separation (AUROC 0 or 1) DeLong's standard error is 0 and the logit is infinite; there the far
    bound is the Wald bound around an AUROC half a comparison from the boundary, 1 − 1/(2 n₊ n₋), with Hanley &
    McNeil's (1982, *Radiology* 143:29) variance. An AUROC with no spread (se 0 inside (0, 1), e.g. constant
    predictions) has a zero-width interval. ``df``: degrees of freedom of ``se`` (:func:`conservative_df`): the
    normal quantile ``z`` becomes Student's t at the same level. Returns (low, high).
    """
    auc, se = np.asarray(auc, dtype=float), np.asarray(se, dtype=float)
    z = student_t.ppf(norm.cdf(z), df)
    n_pos, n_neg = np.asarray(n_pos, dtype=float), np.asarray(n_neg, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.log(auc / (1 - auc))
        width = z * se / (auc * (1 - auc))
        low, high = 1 / (1 + np.exp(-(centre - width))), 1 / (1 + np.exp(-(centre + width)))
        half = 1.0 / (2.0 * n_pos * n_neg)
        a = 1 - half  # half a comparison inside the boundary (an AUROC of 0 is mirrored: 1 − AUROC of −score)
        q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
        var = (a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a)) / (n_pos * n_neg)
        far = z * np.sqrt(np.maximum(var, 0.0))
    flat = (auc > 0) & (auc < 1) & ~(se > 0)
    low = np.where(auc >= 1, np.clip(a - far, 0, 1), np.where(auc <= 0, 0.0, np.where(flat, auc, low)))
    high = np.where(auc <= 0, np.clip(1 - a + far, 0, 1), np.where(auc >= 1, 1.0, np.where(flat, auc, high)))
    return low, high


def multiplier_weights(n_records: int, n_draws: int = 400, random_state: int = 0) -> np.ndarray:
    """(n_draws, n_records) standard-normal multipliers; share one matrix across every game on the same
    records so that their draws are jointly distributed."""
    return np.random.default_rng(random_state).standard_normal((n_draws, n_records))


# ------------------------------------------------------------------------------------------- the result
@dataclass
class ShapleyDraws:
    """Lead Shapley values of a global game with their sampling distribution over the records.

    estimate : (n_players, n_outputs) point estimates
    draws : (n_draws, n_players, n_outputs) multiplier-bootstrap draws (data uncertainty), centred on ``estimate``
    mc_se : (n_players, n_outputs) Monte Carlo standard error (zeros for exact enumeration)
    v_none, v_all : (n_outputs,) v(∅) and v(all leads)
    n_records : records the values were computed on
    refit_draws : (n_draws, n_players, n_outputs) deviations from ``estimate`` due to refitting the models (the
        retraining game with refits), else None
    refit_coalitions : coalitions refitted to estimate the refit variance (0: none)
    data_df : (n_outputs,) degrees of freedom of ``data_se``, every lead and difference of two leads alike
        (:func:`conservative_df`; None: normal quantiles)
    """

    estimate: np.ndarray
    draws: np.ndarray
    mc_se: np.ndarray
    players: list[str]
    outputs: list[str]
    v_none: np.ndarray
    v_all: np.ndarray
    n_records: int
    value_function: str = ""
    method: str = "exact"
    refit_draws: np.ndarray | None = None
    refit_coalitions: int = 0
    data_df: np.ndarray | None = None

    @property
    def data_se(self) -> np.ndarray:
        return self.draws.std(axis=0, ddof=1)

    @property
    def refit_se(self) -> np.ndarray:
        """Standard error from refitting the models (zeros when the models are fitted once and held fixed)."""
        if self.refit_draws is None:
            return np.zeros_like(self.estimate)
        return self.refit_draws.std(axis=0, ddof=1)

    @property
    def total_se(self) -> np.ndarray:
        return np.sqrt(self.data_se ** 2 + self.mc_se ** 2 + self.refit_se ** 2)

    @property
    def total_df(self) -> np.ndarray:
        """Degrees of freedom of ``total_se`` (:func:`combined_df`; ``inf``: normal)."""
        if self.data_df is None:
            return np.full_like(self.estimate, np.inf)
        return combined_df(self.total_se, self.data_se, np.asarray(self.data_df, float)[None, :])

    def total_draws(self, random_state: int = 0, t_scaled: bool = False) -> np.ndarray:
        """Draws with independent Monte Carlo noise and the refit deviations added (data, Monte Carlo and refit
        uncertainty together).

        ``t_scaled``: each draw's deviation from ``estimate`` due to the data is multiplied by
        :func:`t_scale_factors` of ``data_df`` (one factor per draw and output, shared by the leads), so that the
        draws follow a multivariate t whose marginals have the intervals' t quantiles: the rank probabilities
        then carry the uncertainty of the variance estimate too. Standard errors come from the unscaled draws."""
        data = self.draws
        if t_scaled and self.data_df is not None:
            factor = t_scale_factors(len(self.draws), np.asarray(self.data_df, float))
            data = self.estimate + (self.draws - self.estimate) * factor[:, None, :]
        total = data if self.refit_draws is None else data + self.refit_draws
        if not np.any(self.mc_se):
            return total
        noise = np.random.default_rng(random_state).standard_normal(self.draws.shape) * self.mc_se
        return total + noise

    def summary(self, alpha: float = 0.05) -> pd.DataFrame:
        """Long table per output and lead: estimate, data_se, mc_se, refit_se, total_se, df (``total_df``), CI of
        level 1 − alpha (Student's t with ``df``), p_top1, p_top3, and p_holm: Holm-adjusted one-sided p-value
        (t with ``df``) of 'this lead adds to the score' (φ > 0) within the output (family: the leads)."""
        total = self.total_draws(t_scaled=True)  # for the rank probabilities only
        total_df = self.total_df
        rows = []
        for k, out in enumerate(self.outputs):
            est, se, df = self.estimate[:, k], self.total_se[:, k], total_df[:, k]
            z = student_t.ppf(1 - alpha / 2, df)
            d = total[:, :, k]
            finite = np.isfinite(d).all(axis=1)
            rank = (-d[finite]).argsort(axis=1).argsort(axis=1) if finite.any() else np.empty((0, len(est)))
            p_top1 = (rank == 0).mean(axis=0) if len(rank) else np.full(len(est), np.nan)
            p_top3 = (rank < 3).mean(axis=0) if len(rank) else np.full(len(est), np.nan)
            with np.errstate(divide="ignore", invalid="ignore"):
                p_one = student_t.sf(est / se, df)
            p_holm = holm(np.where(np.isfinite(p_one), p_one, 1.0))
            for i, lead in enumerate(self.players):
                rows.append({"label": out, "lead": lead, "value_function": self.value_function,
                             "estimate": est[i], "ci_low": est[i] - z[i] * se[i], "ci_high": est[i] + z[i] * se[i],
                             "data_se": self.data_se[i, k], "mc_se": self.mc_se[i, k],
                             "refit_se": self.refit_se[i, k], "total_se": se[i], "df": df[i],
                             "p_top1": p_top1[i], "p_top3": p_top3[i], "p_holm": p_holm[i],
                             "n_records": self.n_records})
        return pd.DataFrame(rows)

    def supported_differences(self, alpha: float = 0.05) -> pd.DataFrame:
        """Pairwise 'lead A adds more than lead B' per output, two-sided t-tests on the draws' covariance
        (degrees of freedom: ``data_df`` combined with the Monte Carlo and refit variance), Holm across the
        n(n−1)/2 pairs of an output. Returns the supported pairs (A the larger) with the difference and the
        adjusted p-value."""
        total = self.total_draws()
        rows = []
        n = len(self.players)
        for k, out in enumerate(self.outputs):
            if not np.isfinite(self.estimate[:, k]).all():
                continue
            pairs, ps, diffs = [], [], []
            for i in range(n):
                for j in range(i + 1, n):
                    diff = self.estimate[i, k] - self.estimate[j, k]
                    se = np.std(total[:, i, k] - total[:, j, k], ddof=1)
                    df = combined_df(se, np.std(self.draws[:, i, k] - self.draws[:, j, k], ddof=1),
                                     np.inf if self.data_df is None else self.data_df[k])
                    if not np.isfinite(se):
                        p = 1.0
                    else:
                        p = 2 * student_t.sf(abs(diff) / se, df) if se > 0 else (0.0 if diff != 0 else 1.0)
                    pairs.append((i, j))
                    ps.append(p if np.isfinite(p) else 1.0)
                    diffs.append(diff)
            adj = holm(np.array(ps))
            for (i, j), d, p in zip(pairs, diffs, adj):
                if p < alpha:
                    a, b = (i, j) if d > 0 else (j, i)
                    rows.append({"label": out, "value_function": self.value_function, "more_important":
                                 self.players[a], "less_important": self.players[b], "difference": abs(d),
                                 "p_holm": p})
        return pd.DataFrame(rows, columns=["label", "value_function", "more_important", "less_important",
                                           "difference", "p_holm"])


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control)."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p)
    adj = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = adj
    return out


def rank_agreement(a: ShapleyDraws, b: ShapleyDraws, alpha: float = 0.05) -> pd.DataFrame:
    """Kendall tau between the lead rankings of two value functions, per output, with a percentile interval from
    the joint draws (both must be computed with the same multipliers on the same records)."""
    if a.players != b.players or a.draws.shape[0] != b.draws.shape[0]:
        raise ValueError("rank agreement needs the same players and the same number of joint draws")
    da, db = a.total_draws(t_scaled=True), b.total_draws(random_state=1, t_scaled=True)
    rows = []
    for out in a.outputs:
        if out not in b.outputs:
            continue
        ka, kb = a.outputs.index(out), b.outputs.index(out)
        tau = kendalltau(a.estimate[:, ka], b.estimate[:, kb]).statistic
        taus = np.array([kendalltau(da[d, :, ka], db[d, :, kb]).statistic for d in range(len(da))])
        taus = taus[np.isfinite(taus)]
        lo, hi = (np.quantile(taus, [alpha / 2, 1 - alpha / 2]) if len(taus) else (np.nan, np.nan))
        rows.append({"label": out, "value_function_a": a.value_function, "value_function_b": b.value_function,
                     "kendall_tau": tau, "ci_low": lo, "ci_high": hi,
                     "agree": bool(lo > 0) if np.isfinite(lo) else False})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------- estimators
def shapley_coefficients(n_players: int) -> np.ndarray:
    """(2^n, n) matrix ``C`` with ``φ = Cᵀ v``: C[S, i] = w(|S| − 1) if i ∈ S else −w(|S|) (w(n) = 0)."""
    masks = all_coalitions(n_players)
    size = masks.sum(axis=1)
    w = np.append(shapley_weights(n_players), 0.0)
    return np.where(masks, w[np.maximum(size - 1, 0)][:, None], -w[size][:, None])


def exact_global_draws(game: GlobalScoreGame, multipliers: np.ndarray, *, batch_coalitions: int = 128,
                       value_function: str = "", progress: bool = False,
                       cache: CachedGame | None = None) -> ShapleyDraws:
    """Exact lead Shapley values of a global masked-model game (all 2^n coalitions) with multiplier-bootstrap
    draws (degrees of freedom: :func:`conservative_df`). Streams over coalitions: memory is O(batch × records ×
    labels), never all coalitions' predictions. ``cache``: a :class:`CachedGame` of ``game`` that receives every
    coalition's value, so that later searches over coalitions do not predict them again."""
    if cache is not None and cache.game is not game:
        raise ValueError("cache must be a CachedGame of this game")
    n = game.n_players
    masks = all_coalitions(n)
    coef = shapley_coefficients(n)
    y = game.y
    if multipliers.shape[1] != len(y):
        raise ValueError(f"multipliers are for {multipliers.shape[1]} records, the game has {len(y)}")
    n_out = len(game.outputs)
    phi = np.zeros((n, n_out))
    draws = np.zeros((len(multipliers), n, n_out))
    v_first = v_last = None
    bar = None
    if progress:
        bar = tqdm(total=len(masks), desc="coalitions (with CIs)", unit="coalition")
    for a in range(0, len(masks), batch_coalitions):
        m = masks[a:a + batch_coalitions]
        p = game.local(m)  # (c, n_records, n_out)
        vals, contrib = score_contributions(y, p, game.score)
        # Σ_r ξ_br a_r(S) for every draw, coalition and label, as one BLAS product (einsum: ~9× slower)
        r = contrib.shape[1]
        delta = (multipliers @ contrib.transpose(1, 0, 2).reshape(r, -1)).reshape(len(multipliers), len(m), n_out)
        c = coef[a:a + len(m)]
        if cache is not None:
            cache.values.update((a + k, vals[k][None, :]) for k in range(len(m)))
        phi += np.einsum("ci,co->io", c, np.nan_to_num(vals))
        draws += np.einsum("ci,bco->bio", c, delta)
        if a == 0:
            v_first = vals[0]
        v_last = vals[-1]
        if bar is not None:
            bar.update(len(m))
    if bar is not None:
        bar.close()
    bad = ~np.isfinite(v_last)  # a label with one class in these records: no value
    phi[:, bad] = np.nan
    draws[:, :, bad] = np.nan
    return ShapleyDraws(estimate=phi, draws=draws + phi, mc_se=np.zeros_like(phi), players=list(game.players),
                        outputs=list(game.outputs), v_none=v_first, v_all=v_last, n_records=len(y),
                        value_function=value_function or game.description, method="exact",
                        data_df=conservative_df(y, game.score))


class TableGame(Game):
    """A global game whose values are looked up: ``values[code]`` of shape (rows, outputs) per coalition code
    (player i = bit i). Asking for a coalition that is not in the table is an error: a replayed estimator must
    ask for exactly the coalitions it asked for the first time."""

    def __init__(self, players: list[str], outputs: list[str], values: dict[int, np.ndarray]):
        self.players, self.outputs = list(players), list(outputs)
        self.values = values
        self.n_rows = next(iter(values.values())).shape[0]
        self.description = "table of coalition values"

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        codes = coalition_codes(masks)
        missing = [int(c) for c in codes if int(c) not in self.values]
        if missing:
            raise KeyError(f"coalitions {missing[:5]} were not evaluated in the original run")
        return np.stack([self.values[int(c)] for c in codes])


def replayed_draws(estimator: Callable[[Game], LeadShapley], result: LeadShapley, values: dict[int, np.ndarray],
                   contributions: dict[int, np.ndarray], multipliers: np.ndarray, players: list[str],
                   outputs: list[str], value_function: str = "", *, refit: tuple[np.ndarray, int] | None = None,
                   refit_seed: int = 0, data_df: np.ndarray | None = None) -> ShapleyDraws:
    """Draws for a Monte Carlo estimate of a global game: the estimator (deterministic given its seed, budget and
    tol=0) is replayed on a :class:`TableGame` whose rows are the multiplier draws of the coalitions it evaluated.

    values : code → (n_outputs,) value of each evaluated coalition; contributions : code → (n_records, n_outputs)
    refit : (per-output variance of a coalition's value from refitting, coalitions it was estimated from), as
        :func:`refit_variance` returns; adds ``refit_draws`` (noise drawn with ``refit_seed``)
    data_df : (n_outputs,) degrees of freedom of the data SE (:func:`conservative_df` of the held-out labels;
        None: normal quantiles)
    """
    deltas = {code: np.zeros((len(multipliers), len(v))) if contributions.get(code) is None
              else multipliers @ contributions[code] for code, v in values.items()}
    n_records = next(iter(contributions.values())).shape[0] if contributions else 0
    draws = _replay(estimator, result, values, deltas, n_records, players, outputs, value_function, data_df)
    if refit is not None:
        variance, n_refits = refit
        draws.refit_draws = refit_draws(estimator, result, values, variance, len(multipliers), refit_seed, players,
                                        outputs)
        draws.refit_coalitions = int(n_refits)
    return draws


def refit_variance(values: dict[int, np.ndarray], refit_values: dict[int, np.ndarray]) -> tuple[np.ndarray, int]:
    """Per-output variance of one coalition's value from refitting its model: ``mean((v₂ − v₁)²) / 2`` over the
    coalitions in both (∅ excluded: its value is the prior, not a fit), NaN where an output has no finite pair.
    Returns (variance (n_outputs,), coalitions used)."""
    codes = sorted(c for c in refit_values if c != 0 and c in values)
    if not codes:
        raise ValueError("no refitted coalition besides ∅ is among the evaluated ones")
    d = np.array([np.asarray(refit_values[c], float) - np.asarray(values[c], float) for c in codes])
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(d)
        variance = np.where(finite.any(axis=0), np.nansum(d ** 2, axis=0) / np.maximum(finite.sum(axis=0), 1) / 2,
                            np.nan)
    return variance, len(codes)


def sampled_refit_variance(game: Game, values: dict[int, np.ndarray], n_refits: int,
                           random_state: int) -> tuple[np.ndarray, int] | None:
    """:func:`refit_variance` from ``n_refits`` of the evaluated coalitions ``values`` (∅ excluded: it is the
    prior), drawn with ``random_state`` and valued again by ``game`` (the same models with another seed, e.g.
    :meth:`RetrainGame.refitted`); None when none is refitted."""
    candidates = sorted(c for c in values if c != 0)
    if n_refits <= 0 or not candidates:
        return None
    chosen = sorted(int(c) for c in np.random.default_rng(random_state).choice(
        candidates, min(n_refits, len(candidates)), replace=False))
    refitted = game(coalition_masks(chosen, game.n_players))[:, 0, :]
    return refit_variance(values, dict(zip(chosen, refitted)))


def refit_draws(estimator: Callable[[Game], LeadShapley], result: LeadShapley, values: dict[int, np.ndarray],
                variance: np.ndarray, n_draws: int, random_state: int, players: list[str],
                outputs: list[str]) -> np.ndarray:
    """(n_draws, n_players, n_outputs) deviations of the estimate when every evaluated coalition but ∅ gets
    independent noise ``N(0, variance)`` (per output): the estimator replayed on the noisy values."""
    rng = np.random.default_rng(random_state)
    sd = np.sqrt(np.nan_to_num(np.asarray(variance, float)))
    noise = {code: np.zeros((n_draws, len(sd))) if code == 0 else rng.standard_normal((n_draws, len(sd))) * sd
             for code in sorted(values)}
    table = {code: np.asarray(values[code], float).reshape(1, -1) + noise[code] for code in noise}
    return estimator(TableGame(players, outputs, table)).values - result.values[0][None]


def _replay(estimator, result: LeadShapley, values: dict[int, np.ndarray], deltas: dict[int, np.ndarray],
            n_records: int, players: list[str], outputs: list[str], value_function: str,
            data_df: np.ndarray | None) -> ShapleyDraws:
    """:func:`replayed_draws` from each coalition's multiplier shifts ``deltas[code]`` (n_draws, n_outputs);
    ``data_df`` per output."""
    table = {code: np.asarray(v).reshape(1, -1) + deltas[code] for code, v in values.items()}
    replay = estimator(TableGame(players, outputs, table))
    draws = replay.values  # (n_draws, n_players, n_outputs): g(v̂ + δ*), around g(v̂) = the estimate
    return ShapleyDraws(estimate=result.values[0], draws=draws, mc_se=result.std_error[0], players=list(players),
                        outputs=list(outputs), v_none=result.base_values[0], v_all=result.full_values[0],
                        n_records=n_records, value_function=value_function or result.game, method=result.method,
                        data_df=None if data_df is None else np.asarray(data_df, float))


class _ScoredCoalitions(Game):
    """A :class:`GlobalScoreGame` that keeps, for each coalition it is asked, its score and the multiplier shifts
    ``Σ_r ξ_br a_r(S)`` of its per-record contributions (n_draws × outputs per coalition, never the records')."""

    def __init__(self, game: GlobalScoreGame, multipliers: np.ndarray, batch_coalitions: int, bar):
        self.game, self.multipliers, self.batch, self.bar = game, multipliers, batch_coalitions, bar
        self.players, self.outputs, self.n_rows = list(game.players), list(game.outputs), 1
        self.description = game.description
        self.values: dict[int, np.ndarray] = {}
        self.deltas: dict[int, np.ndarray] = {}

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        masks = np.atleast_2d(np.asarray(masks, dtype=bool))
        codes = coalition_codes(masks)
        todo = [j for j, c in enumerate(codes) if int(c) not in self.values]
        for a in range(0, len(todo), self.batch):
            rows = todo[a:a + self.batch]
            vals, contrib = score_contributions(self.game.y, self.game.local(masks[rows]), self.game.score)
            r = contrib.shape[1]
            delta = (self.multipliers @ contrib.transpose(1, 0, 2).reshape(r, -1)).reshape(
                len(self.multipliers), len(rows), -1)
            for k, j in enumerate(rows):
                self.values[int(codes[j])] = vals[k]
                self.deltas[int(codes[j])] = delta[:, k]
            if self.bar is not None:
                self.bar.update(len(rows))
        return np.stack([self.values[int(c)] for c in codes])[:, None, :]


def sampled_global_draws(game: GlobalScoreGame, multipliers: np.ndarray,
                         estimator: Callable[[Game], LeadShapley], *, batch_coalitions: int = 128,
                         value_function: str = "", progress: bool = False) -> ShapleyDraws:
    """Lead Shapley values of a global masked-model game from the coalitions a Monte Carlo ``estimator`` samples
    (deterministic: a seed, a budget and tol=0), with multiplier-bootstrap draws (the estimator replayed on each
    draw's coalition values) and its Monte Carlo standard errors. Memory: one batch of predictions at a time, plus
    n_draws × outputs numbers per evaluated coalition. Degrees of freedom: :func:`conservative_df`."""
    if multipliers.shape[1] != len(game.y):
        raise ValueError(f"multipliers are for {multipliers.shape[1]} records, the game has {len(game.y)}")
    bar = tqdm(desc="coalitions (sampled, with CIs)", unit="coalition") if progress else None
    scored = _ScoredCoalitions(game, multipliers, batch_coalitions, bar)
    result = estimator(scored)
    if bar is not None:
        bar.close()
    return _replay(estimator, result, scored.values, scored.deltas, len(game.y), list(game.players),
                   list(game.outputs), value_function or game.description, conservative_df(game.y, game.score))


# ------------------------------------------------------------------------------------------- reporting
IMPORTANCE_COLUMNS = ["label", "lead", "value_function", "estimate", "ci_low", "ci_high", "mc_se", "p_top1",
                      "p_top3", "n_pos_heldout", "n_neg_heldout", "status", "data_se", "refit_se", "total_se",
                      "df", "p_holm", "n_records"]


def lead_importance_table(results: list[ShapleyDraws], n_pos: dict[str, int], n_neg: dict[str, int],
                          min_heldout_positives: int) -> pd.DataFrame:
    """Long table of every value function's lead importance, with ``status`` 'ranked' or 'insufficient' (fewer
    held-out positives or negatives than ``min_heldout_positives``: listed, never ranked)."""
    parts = []
    for res in results:
        t = res.summary()
        t["n_pos_heldout"] = t["label"].map(n_pos).astype(int)
        t["n_neg_heldout"] = t["label"].map(n_neg).astype(int)
        enough = (t["n_pos_heldout"] >= min_heldout_positives) & (t["n_neg_heldout"] >= min_heldout_positives)
        t["status"] = np.where(enough & np.isfinite(t["estimate"]), "ranked", "insufficient")
        parts.append(t)
    return pd.concat(parts, ignore_index=True)[IMPORTANCE_COLUMNS]
