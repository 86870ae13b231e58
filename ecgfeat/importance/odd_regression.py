"""Shapley values from complementary pairs sampled without replacement by size, through a ridge regression of the
game's odd part on odd Fourier terms, with design-based standard errors.

Only the odd part of a game enters its Shapley values. For a pair P = {S, N∖S} let ``g(S) = (v(S) − v(N∖S)) / 2``;
then ``φ_i = Σ_S c_i(S) g(S)`` with ``c_i(S) = (|S|−1)!(n−|S|)!/n!`` if i ∈ S and ``−|S|!(n−|S|−1)!/n!`` otherwise.
In the ±1 coding ``x_j = 1 if j ∈ S else −1`` the odd part is a sum of odd characters ``χ_T(S) = Π_{j∈T} x_j``
(|T| odd), and the Shapley value of ``χ_T`` gives ``2/|T|`` to each member of T and nothing to others. So:

1. **Sampling.** Pairs are grouped in strata by the size of their smaller member, s = 1 … ⌊n/2⌋. Stratum 1 (the
   coalitions of 1 and n − 1 players) and the pair {∅, N} are always evaluated. The other pairs are allocated to
   the strata in proportion to their Shapley-kernel mass, a stratum that would get more than it holds is taken whole
   (and its share goes to the others), and every sampled stratum gets at least 2 pairs; within a stratum the pairs
   are a uniformly random subset (without replacement). Each pair costs two distinct coalitions. A stratum whose
   share would hold :data:`FULL_STRATUM` (70 %) of its pairs or more is taken whole when the budget allows: its
   last few pairs are then not left to the surrogate. Sampled nearly whole, a stratum's error is the sum of a few
   unseen pairs' residuals, which its leave-one-out spread misjudges: on the tuning games of fold 4 (10 seeds)
   coverage at 400 evaluations, where the pairs of 2 leads were 88 % sampled, was 0.922 (global) and 0.932
   (retraining), and 0.954 and 0.956 with the rule; evaluations to 1 % error 546 / 337 → 525 / 332 (global),
   949 / 267 → 942 / 267 (retraining), 406 / 302 → 412 / 303 (local); 0.8 was tried too.
2. **Surrogate.** ``g`` is fitted on the sampled pairs by weighted least squares on the odd characters of degree 1, 3
   and 5, with weights kernel(s) × (pairs in the stratum / pairs sampled from it), ridge penalties on the degree-3
   and degree-5 terms (:data:`RIDGE_CANDIDATES`). The pair {∅, N} is not fitted: its term in φ is the game's own (so
   Σφ = v(N) − v(∅) exactly). Forcing the surrogate through it, as this estimator once did, bent every other fitted
   value whenever v(∅) stands apart from all the other coalitions (a retrained model's AUROC of 0.5 with no lead, ≈
   0.9 with any one): on the 8 tuning retraining games of fold 4 (10 seeds) the evaluations to 1 % error fell from
   1,434 / 533 (mean / median) to 1,220 / 273 without it. The penalties are chosen per row and output among a few
   candidates by leave-one-pair-out error. The heaviest candidate (1.0, 10.0) serves rough games, whose odd part
   beyond the main effects is mostly structureless (a retraining game, each coalition's model fitted anew: on fold
   4's retraining tuning games a degree-5 fit to all 2,047 pairs leaves 3.6 % of the odd part's variance, a local or
   global game's under 0.005 %, medians): interactions fitted there are noise that the de-biasing term adds back. On
   fold 4's tuning games (5 seeds) it lowered the evaluations to 1 % error from 410 / 358 (mean / median) to 368 /
   283 (global) and from 897 / 307 to 856 / 242 (retraining), local games unchanged (319 / 245); with 10 seeds: 379 /
   299, 850 / 251 and 320 / 245, coverage 0.930–0.959 (global), 0.926–0.959 (retraining; without it 0.942–0.971 with
   5 seeds) and 0.952–0.968 (local) at 150–1,600 evaluations. (1.0, none) gained less (10 seeds: 392 / 331 and 885 /
   253, the same retraining coverage), a degree-1-only candidate nothing more, and a larger g-weighted share (0.35)
   lifted the retraining games' lowest coverage only to 0.931 while the local games' rose to 0.975. Odd functions of
   the coalition size alone as unpenalised controls (their Shapley values are 0) changed nothing (local 314 / 252 →
   318 / 253 on fold 5's tuning games; retraining 897 / 307 → 894 / 294). A sparse candidate lets a few interactions
   be fitted nearly freely wherever they lie (OddSHAP screens them from a tree surrogate's Fourier spectrum; here
   they come from the first candidate's own fit): the :data:`SPARSE_TERMS` (20) degree-3 terms of largest
   |coefficient| in that fit are penalised by only :data:`SPARSE_PENALTY` (1e-4), at most one per
   :data:`SPARSE_PAIRS_PER_TERM` (8) sampled pairs beyond the n main effects (so none below 104 pairs, 210
   evaluations, for 12 leads, and never with 6 leads). On the tuning games (5 seeds) the evaluations to 1 % error
   fell from 403 / 296 (mean / median) to 352 / 250 (local, fold 4), 371 / 307 to 321 / 254 (local, fold 5) and 518 /
   332 to 515 / 303 (global), unchanged on the retraining games, with coverage 0.944–0.966 (local) and 0.934–0.963
   (global) at 150–1,600 evaluations. One term per 5 or 6 pairs was faster (326 / 211 and 334 / 222 on fold 4) but
   covered only 0.922–0.935 at 200–300 evaluations on fold 5: the terms are chosen on the pairs whose leave-one-out
   residuals then judge them. Low penalties on every degree-3 term broke the leave-one-out error (1e-4: coverage
   0.11–0.65 at 150–300 evaluations); the degree-3 terms among the 5 players of largest main effect only (effect
   heredity; Hamada & Wu, *J. Quality Technology* 24:130, 1992) gained less (388 / 272 on fold 4's local games).
   Freeing also the 5 or 10 degree-5 terms of largest coefficient in the degree-5 fit (within the same room) lowered
   fold 4's local row to 336 / 250 and 334 / 250 but dropped the retraining games' coverage to 0.91 and 0.89 at
   800–1,200 evaluations (0.95 and 0.925 without), so it is not done. Over all pairs the surrogate's Shapley values
   are the game's (the Shapley representer ``c_i(S)/kernel(S) = (n·1[i∈S] − |S|)/(n − 1)`` is a degree-1 term, which
   is never penalised); with a sample, they are a calibrated (GREG) survey estimator of them. The surrogate's Shapley
   values are then corrected, per partly sampled stratum of cap pairs with m sampled, by (cap/m − 1) times the sum
   of ``c_i(S)`` times the difference between each sampled pair's leave-one-pair-out and in-sample residual, which
   removes the bias of a surrogate that has seen the pairs it is judged on (efficiency is kept: Σ_i c_i(S) = 0 for
   every S ≠ ∅, N). A sampled pair's own term in φ is its in-sample residual, exact for it; only the cap − m unseen
   pairs' residuals are estimated, from the sampled pairs' leave-one-pair-out residuals. Until 2026-12-07 the
   weight was cap/m, which over-corrected and biased φ (bias up to 0.8 of the rms error for one lead of fold 4's
   global AUROC games at 300 evaluations); with cap/m − 1, on fold 4's tuning games (10 seeds) the evaluations to 1 %
   error went from 379 / 299 to 362 / 262 (global), 850 / 251 to 842 / 228 (retraining) and 320 / 245 to 319 / 245
   (local), and coverage at 150–1,600 evaluations from 0.930–0.959 to 0.946–0.963 (global), 0.926–0.959 to
   0.938–0.966 (retraining) and 0.952–0.968 to 0.950–0.970 (local; fold 5's tuning local games 0.944–0.967). The
   other figures in this docstring were measured before this correction.
3. **Standard errors.** The estimator's error is, to first order, the stratified Horvitz-Thompson error of the
   residuals ``c_i(S) r(S)``; its variance is estimated per stratum with the finite-population correction from
   leave-one-pair-out residuals (the residual a pair would have had if the surrogate had not seen it). The
   estimator is linear in the sampled g, and a pair's weight in it is not its Horvitz-Thompson weight ``c_i(S)``
   but ``c_i(S)`` times a g-weight (the regression estimator's calibration); the weighted-residual variance of
   Särndal, Swensson & Wretman (1989, *Biometrika* 76:527) uses the residuals times their g-weights. With
   leave-one-out residuals, which already carry the surrogate's own error, the plain form understates the error
   of small samples and the g-weighted form overstates it. On 104 tuning games (fold 4's 40 local, 16 global and 8
   retraining games and fold 5's 40 tuning local games; 10 seeds; budgets 150–1,600) 95 % intervals covered
   0.89–0.95 with the plain form and 0.96–0.995 with the g-weighted one (measured without fold 4's local
   games). The variance is their mix, :data:`G_WEIGHT_SHARE` of the g-weighted one, chosen there among 0.25, 0.3
   and 0.5 by the largest departure from 0.93–0.97 over families and budgets (0.25 and 0.3 tie at 0.008; 0.25 is
   nearer 0.95 on local games). With 0.25 and the full-stratum rule of step 1, fold 4's games cover 0.952–0.971
   (local), 0.935–0.963 (global) and 0.934–0.965 (retraining). Re-checked after the de-biasing correction of step
   2 (fold 4's tuning games and fold 5's tuning local games, 10 seeds): 0.25 keeps every family and budget inside
   0.938–0.970, the plain form alone (0.0) covers 0.902–0.951. A stratum taken whole contributes no variance;
   every coalition evaluated gives exact values and SE 0. A variance
   estimated from few pairs per stratum is itself uncertain: the standard error is scaled by t(ν)/z, with ν
   Satterthwaite's degrees of freedom of the stratified sum, so that ±1.96 SE is the t interval (on 84 tuning
   games it raised coverage by 0.3–1.3 points at every budget from 150 to 1,600, never lowered it).
4. **Stopping.** Sampling grows in steps; it stops when ``z × max SE ≤ tol × |v(N) − v(∅)|`` with
   ``z = Φ⁻¹(1 − 0.025 / n)`` (all n players within tol at 95 %, Bonferroni), or at ``max_evaluations`` distinct
   coalitions, which is never exceeded.

References: Lundberg & Lee 2017 and Covert & Lee 2021 (paired KernelSHAP); Fumagalli et al. 2025, "PolySHAP"
(higher-order regression terms), and OddSHAP (odd components); Hamada & Wu 1992 (effect heredity); Särndal,
Swensson & Wretman 1992, *Model Assisted Survey Sampling*, ch. 6-7 (the regression estimator and its variance);
Särndal, Swensson & Wretman 1989 (the weighted-residual variance estimator).
"""
from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.stats import norm
from scipy.stats import t as student_t

from .coalitions import CachedGame, coalition_masks, require_budget
from .games import Game
from .regression import _exact_from_memo, _shapley_weights
from .result import LeadShapley

#: (degree-3 penalty, degree-5 penalty or None for no degree-5 terms), relative to the mean diagonal of the
#: weighted normal equations; the candidates of the leave-one-pair-out choice
RIDGE_CANDIDATES = ((1e-2, None), (1e-2, 1.0), (1e-1, 10.0), (1.0, 10.0))
Z975 = float(norm.ppf(0.975))
#: share of the g-weighted variance in the standard error (the rest: the plain one), chosen on tuning games
#: (module docstring, step 3)
G_WEIGHT_SHARE = 0.25
#: a stratum whose kernel-proportional share would hold at least this fraction of its pairs is taken whole
#: (module docstring, step 1)
FULL_STRATUM = 0.7
#: sparse candidate (module docstring, step 2): at most this many degree-3 terms, those of largest |coefficient| in
#: the first candidate's fit, are penalised by ``SPARSE_PENALTY`` instead of the first candidate's penalty, and at
#: most one such term per ``SPARSE_PAIRS_PER_TERM`` sampled pairs beyond the n main effects
SPARSE_TERMS = 20
SPARSE_PENALTY = 1e-4
SPARSE_PAIRS_PER_TERM = 8
#: degree-5 terms are used only when there are at most this many odd terms of degree ≤ 5 (1,024 for 12 leads)
MAX_TERMS = 1024


def min_odd_regression_budget(n_players: int) -> int:
    """The fewest distinct coalitions :func:`odd_regression_shapley` accepts: {∅, N}, the 2n coalitions of 1 and
    n − 1 players, and 2 pairs in every other stratum; 46 for 12 leads."""
    return 2 + 2 * n_players + 4 * max(n_players // 2 - 1, 0)


def _odd_terms(n: int, max_degree: int) -> list[tuple[int, ...]]:
    return [t for k in range(1, max_degree + 1, 2) for t in combinations(range(n), k)]


def _characters(codes: np.ndarray, term_codes: np.ndarray, degree: np.ndarray) -> np.ndarray:
    """χ_T(S) = (−1)^|T ∖ S| for coalitions S (rows, by code) and terms T (columns: member codes, degrees)."""
    inside = np.bitwise_and(np.asarray(codes, dtype=np.int64)[:, None], term_codes[None, :])
    count = np.zeros(inside.shape, dtype=np.int64)
    while inside.any():  # popcount, one bit per pass (≤ n passes)
        count += inside & 1
        inside >>= 1
    return np.where((degree[None, :] - count) % 2 == 0, 1.0, -1.0)


class _Design:
    """The strata of pairs of an n-player game, each in a random order, and the allocation of a budget."""

    def __init__(self, n: int, rng: np.random.Generator):
        self.n = n
        codes = np.arange(1 << (n - 1), dtype=np.int64)  # canonical members: player n − 1 absent
        size = np.array([bin(c).count("1") for c in codes.tolist()])
        stratum = np.minimum(size, n - size)
        self.strata = np.arange(1, n // 2 + 1)
        self.pairs = [rng.permutation(codes[stratum == s]) for s in self.strata]
        self.cap = np.array([len(p) for p in self.pairs])
        # Shapley kernel weight of one coalition of size s, (n−1)/(C(n,s) s (n−s)); a pair holds two
        self.kernel = np.array([(n - 1) / (comb(n, int(s)) * s * (n - s)) for s in self.strata])
        self.mass = 2 * self.kernel * self.cap

    def allocation(self, n_pairs: int) -> np.ndarray:
        """Pairs per stratum for ``n_pairs`` sampled pairs (stratum 1 whole, then kernel-proportional with
        capacities, a nearly full stratum whole, at least 2 per stratum that is sampled at all)."""
        alloc = np.zeros(len(self.cap), dtype=int)
        alloc[0] = self.cap[0]
        left = n_pairs - alloc[0]
        rest = np.arange(1, len(self.cap))
        floor = np.minimum(2, self.cap[rest])
        if left >= floor.sum():
            alloc[rest] = floor
            left -= floor.sum()
            free = np.zeros(len(self.cap), bool)
            free[rest] = True
            while left > 0 and free.any():  # water-filling of the remainder by kernel mass
                share = left * self.mass * free / (self.mass * free).sum()
                # a stratum its share would fill to FULL_STRATUM of its pairs or more is taken whole if the
                # budget allows (the fullest first)
                fill = free & (alloc + share >= FULL_STRATUM * self.cap) & (self.cap - alloc <= left)
                if fill.any():
                    k = int(np.argmax(np.where(fill, (alloc + share) / self.cap, -np.inf)))
                    left -= int(self.cap[k] - alloc[k])
                    alloc[k] = self.cap[k]
                    free[k] = False
                    continue
                room = self.cap - alloc
                add = np.minimum(np.floor(share).astype(int), room)
                if add.sum() == 0:  # fewer pairs left than strata: one each by mass
                    for k in np.argsort(-self.mass * free):
                        if left and free[k] and room[k] > 0:
                            alloc[k] += 1
                            left -= 1
                    break
                alloc += add
                left -= int(add.sum())
                free &= alloc < self.cap
        return alloc

    def sample(self, alloc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(codes of the canonical members, stratum index of each) of the first ``alloc`` pairs per stratum."""
        codes = np.concatenate([p[:a] for p, a in zip(self.pairs, alloc)])
        which = np.concatenate([np.full(a, k) for k, a in enumerate(alloc)])
        return codes, which


def _fit(g: np.ndarray, g0: np.ndarray, X: np.ndarray, x0: np.ndarray, w: np.ndarray, degree: np.ndarray,
         Cp: np.ndarray, which: np.ndarray, cap: np.ndarray, alloc: np.ndarray, M: np.ndarray):
    """Shapley estimates and standard errors (n, k) for the k columns of ``g`` (pairs × columns), the ridge
    penalties chosen per column by leave-one-pair-out error."""
    n, k = M.shape[0], g.shape[1]
    c_empty = np.full(n, -2.0 / n)  # 2 c_i(∅): the pair {∅, N} in φ_i = Σ_pairs 2 c_i(S) g(S)
    best_score = np.full(k, np.inf)
    phi, r_loo, r_in = np.zeros((n, k)), np.zeros_like(g), np.zeros_like(g)
    # Horvitz-Thompson expansion weight of each pair, and its weight in the de-biasing term: only the cap − m
    # unsampled pairs' residuals are estimated (the sampled pairs' own are in-sample, exact for them), so each
    # sampled pair stands for cap/m − 1 of them; a stratum taken whole is not de-biased (its residuals are the
    # population's)
    expand = (cap / np.maximum(alloc, 1))[which]
    debias = np.where(((alloc > 0) & (alloc < cap))[which], expand - 1.0, 0.0)
    chosen = np.zeros(k, dtype=int)
    weights = []  # per candidate: each pair's effective weight in φ over its HT weight (n, pairs)
    first_beta = None
    gram = {}  # the weighted normal equations of each set of terms

    def consider(cols: np.ndarray, pen_of_degree3: np.ndarray, pen5: float, columns: np.ndarray) -> np.ndarray:
        """Fit the columns ``columns`` of g on the terms ``cols`` with these penalties (relative to the mean
        diagonal); keep it where its leave-one-pair-out error is the best so far. Returns the coefficients."""
        key = cols.tobytes()
        if key not in gram:
            Xc = X[:, cols]
            gram[key] = (Xc, (Xc.T * w) @ Xc)
        Xc, G = gram[key]
        scale = np.trace(G) / len(G)
        pen = np.where(degree[cols] == 3, pen_of_degree3, np.where(degree[cols] == 5, pen5, 0.0)) * scale
        A = G + np.diag(pen) + 1e-12 * scale * np.eye(len(G))
        F = cho_factor(A)
        gc = g[:, columns]
        sol = cho_solve(F, np.column_stack([(Xc.T * w) @ gc, Xc.T]))
        beta, AX = sol[:, :len(columns)], sol[:, len(columns):]
        r = gc - Xc @ beta
        h = w * np.einsum("ij,ji->i", Xc, AX)
        inflate = 1.0 / np.clip(1.0 - h, 1e-3, None)  # leave-one-pair-out residual over in-sample residual
        loo = r * inflate[:, None]
        score = (w[:, None] * loo ** 2).sum(axis=0)
        better = score < best_score[columns]
        if better.any():
            at = columns[better]
            best_score[at] = score[better]
            # the surrogate's Shapley map with its value at {∅, N} replaced by the game's
            Mq = M[:, cols] - c_empty[:, None] * x0[cols][None, :]
            phi[:, at] = Mq @ beta[:, better] + c_empty[:, None] * g0[None, at]
            r_loo[:, at] = loo[:, better]
            r_in[:, at] = r[:, better]
            chosen[at] = len(weights)
            # φ̂ is linear in g: φ̂ = c(∅) g(∅) + L g with L = Mq (A⁻¹ Xᵀ W) + Cpᵀ D (I − X A⁻¹ Xᵀ W), D the
            # de-biasing term's diag(debias · h / (1 − h))
            CpD = Cp.T * (debias * (inflate - 1.0))[None, :]
            L = ((Mq - CpD @ Xc) @ AX) * w[None, :] + CpD
            weights.append(L / expand[None, :])
        return beta

    everything = np.arange(k)
    for l3, l5 in RIDGE_CANDIDATES:
        if l5 is not None and not (degree == 5).any():
            continue
        cols = degree <= (5 if l5 is not None else 3)
        beta = consider(cols, np.full(int(cols.sum()), l3), l5 or 0.0, everything)
        if first_beta is None:
            first_beta = beta
    # sparse interactions: per column, the degree-3 terms of largest |coefficient| in the first fit, nearly
    # unpenalised
    n_sparse = min(SPARSE_TERMS, len(g) // SPARSE_PAIRS_PER_TERM - n)
    if n_sparse > 0 and (degree == 3).any():
        cols = degree <= 3
        inter = np.flatnonzero(degree[cols] == 3)
        top = inter[np.argsort(-np.abs(first_beta[inter]), axis=0, kind="stable")[:n_sparse]]
        favoured = np.zeros((int(cols.sum()), k), dtype=bool)
        np.put_along_axis(favoured, top, True, axis=0)
        sets, set_of = np.unique(favoured, axis=1, return_inverse=True)
        set_of = np.asarray(set_of).ravel()
        for u in range(sets.shape[1]):
            consider(cols, np.where(sets[:, u], SPARSE_PENALTY, RIDGE_CANDIDATES[0][0]), 0.0,
                     np.flatnonzero(set_of == u))
    var, var_df = np.zeros((n, k)), np.zeros((n, k))
    for s in range(len(cap)):
        m = which == s
        if 0 < alloc[s] < cap[s]:
            plain = Cp[m][:, :, None] * r_loo[m][:, None, :]  # (pairs, n, k)
            weighted = np.empty_like(plain)
            for cand in np.unique(chosen):
                cols_k = chosen == cand
                weighted[:, :, cols_k] = weights[cand][:, m].T[:, :, None] * r_loo[m][:, None, cols_k]
            v_s = cap[s] ** 2 * (1.0 - alloc[s] / cap[s]) / alloc[s] * (
                (1.0 - G_WEIGHT_SHARE) * plain.var(axis=0, ddof=1) + G_WEIGHT_SHARE * weighted.var(axis=0, ddof=1))
            var += v_s
            var_df += v_s ** 2 / (alloc[s] - 1)
    # de-biasing: the residuals the sampled pairs would have had unseen stand for the unsampled pairs' (the in-sample
    # fit's residuals sum to zero under the design weights; the unseen ones do not: the surrogate overfits its sample)
    phi += Cp.T @ (debias[:, None] * (r_loo - r_in))
    # a variance estimated from few pairs is itself uncertain: Satterthwaite's degrees of freedom of the stratified
    # sum, and the standard error scaled by t(df) / z so that ±1.96 SE is the t interval
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(var_df > 0, var ** 2 / var_df, np.inf)
    widen = np.where(np.isfinite(df), student_t.ppf(0.975, np.maximum(df, 1.0)) / Z975, 1.0)
    return phi, np.sqrt(var) * widen


def odd_regression_shapley(game: Game, *, random_state: int | np.random.Generator | None = None,
                           tol: float = 0.01, max_evaluations: int | None = None, first_evaluations: int = 150,
                           growth: float = 1.3) -> LeadShapley:
    """Shapley values of ``game`` from sampled complementary pairs (see the module docstring).

    Parameters
    ----------
    tol : stop when ``Φ⁻¹(1 − 0.025/n) × max SE ≤ tol × max |v(N) − v(∅)|`` over rows and outputs (0: spend the
        budget)
    max_evaluations : budget of distinct coalitions (None: until the rule stops it or every coalition is
        evaluated); never exceeded; at least :func:`min_odd_regression_budget` unless it holds every coalition
    first_evaluations : coalitions evaluated before the stopping rule is first checked
    growth : each further step multiplies the coalitions evaluated by this factor (> 1)
    """
    if growth <= 1.0:
        raise ValueError(f"growth must be > 1, got {growth}")
    n = game.n_players
    smallest = min_odd_regression_budget(n)
    require_budget(max_evaluations, n, smallest, "odd regression", f"{{∅, N}}, the {2 * n} coalitions of 1 and "
                   f"{n - 1} players, and two pairs of every other size, the fewest whose spread gives a standard "
                   "error")
    rng = np.random.default_rng(random_state)
    seed = random_state if isinstance(random_state, int) else None
    full = (1 << n) - 1
    memo = CachedGame(game)
    budget = (1 << n) if max_evaluations is None else min(max_evaluations, 1 << n)
    if (tol <= 0 and budget >= 1 << n) or n // 2 < 2:  # everything is to be evaluated: exact
        memo.values_of(np.arange(1 << n))
        return _exact_from_memo(game, memo, seed)
    design = _Design(n, rng)
    max_degree = 5 if len(_odd_terms(n, 5)) <= MAX_TERMS else 3
    terms = _odd_terms(n, max_degree)
    degree = np.array([len(t) for t in terms])
    term_codes = np.array([sum(1 << j for j in t) for t in terms], dtype=np.int64)
    M = np.zeros((n, len(terms)))
    for j, t in enumerate(terms):
        M[list(t), j] = 2.0 / len(t)
    z = float(norm.ppf(1 - 0.025 / n))

    v_empty, v_full = memo.values_of(np.array([0, full]))
    shape = v_empty.shape
    scale = float(np.nanmax(np.abs(v_full - v_empty), initial=0.0)) or 1.0
    g0 = (0.5 * (v_empty - v_full)).reshape(1, -1)
    x0 = _characters(np.zeros(1, dtype=np.int64), term_codes, degree)[0]
    # without a stopping rule the budget is spent at once (the sample is the same: strata are drawn in order)
    target = budget if tol <= 0 else max(min(first_evaluations, budget), smallest)
    converged = False
    alloc = np.zeros(len(design.cap), dtype=int)
    while True:
        n_pairs = (target - 2) // 2
        # pairs already evaluated are free: keep them, and trim only this step's additions to the budget
        grown = np.maximum(alloc, design.allocation(n_pairs))
        while grown.sum() > n_pairs:
            k = int(np.argmax(grown - alloc))
            grown[k] -= 1
        alloc = grown
        codes, which = design.sample(alloc)
        v = memo.values_of(np.concatenate([codes, full ^ codes])).reshape(2, len(codes), -1)
        if alloc.sum() == design.cap.sum():
            return _exact_from_memo(game, memo, seed)
        g = 0.5 * (v[0] - v[1])
        w = (design.kernel * design.cap / np.maximum(alloc, 1))[which]
        # φ_i = Σ_pairs 2 c_i(S) g(S) over the pairs' canonical members S
        Cp = 2.0 * _shapley_weights(coalition_masks(codes, n))
        # a row and output with a missing value anywhere (e.g. an AUROC of one class) has no estimate
        ok = np.isfinite(g).all(axis=0) & np.isfinite(g0[0])
        phi, se = np.full((n, g.shape[1]), np.nan), np.full((n, g.shape[1]), np.nan)
        if ok.any():
            phi[:, ok], se[:, ok] = _fit(g[:, ok], g0[0][ok], _characters(codes, term_codes, degree), x0, w, degree,
                                         Cp, which, design.cap, alloc, M)
        if tol > 0 and z * np.nanmax(se, initial=0.0) <= tol * scale:
            converged = True
            break
        if target >= budget:
            break
        target = min(budget, int(np.ceil(target * growth)))
    values = phi.T.reshape(shape[0], shape[1], n).transpose(0, 2, 1)
    std_error = se.T.reshape(shape[0], shape[1], n).transpose(0, 2, 1)
    return LeadShapley(values=values, std_error=std_error, players=list(game.players), outputs=list(game.outputs),
                       base_values=v_empty, full_values=v_full, n_evaluations=memo.n_evaluations,
                       method="odd-regression", seed=seed, converged=converged, n_permutations=0,
                       game=game.description)
