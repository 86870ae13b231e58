"""Regression-adjusted Monte Carlo Shapley values: a low-order surrogate game as a control variate.

The Shapley value is linear in the game, so for any surrogate ``f``::

    φ(v) = φ(f) + φ(v − f)

``f`` is a k-additive game (a polynomial in the coalition indicators with terms of up to ``order`` players),
fitted by weighted least squares with the Shapley kernel weights to the coalitions evaluated so far; its
Shapley values are exact (a term over players T gives its coefficient / |T| to each member of T). Only the
residual game ``v − f`` is estimated by sampling, and its values are small when the surrogate fits, hence the
low variance. The residual's Shapley value is ``Σ_S c_i(S) r(S)`` with ``c_i(S) = (|S|−1)!(n−|S|)!/n!`` if i ∈ S
and ``−|S|!(n−|S|−1)!/n!`` otherwise:

* the empty and full coalitions and all coalitions of 1 and n − 1 players (2n + 2 of them) are evaluated and
  summed exactly (they carry the largest weights);
* the other sizes are sampled in complementary pairs (S and its complement), size drawn from the Shapley
  kernel ``p(s) ∝ 1/(s(n − s))``, members uniformly, and summed by importance weighting, which is unbiased.

Only the odd part of the residual, r(S) − r(N∖S), enters a pair's term, and the odd part of a term of 4
players is cubic, so with ``order=3`` games whose interactions involve at most 4 leads come out exactly (as
paired KernelSHAP, the ``order=1`` case here, is exact for pairwise games).

Cross-fitting keeps the estimate unbiased and its standard error honest: sampled pairs are split into
``n_folds`` folds; the surrogate used to correct a fold is fitted without that fold. The standard error is the
spread of the held-out correction terms. The surrogate order (1, 2 … ``order``) is chosen per row and output
as the one with the smallest estimated variance. The estimate is exactly efficient: for every coalition other
than ∅ and N the weights ``c_i(S)`` sum to zero over players.

Coalition values are read through a :class:`~ecgfeat.importance.coalitions.CachedGame`, so duplicates cost nothing; sampling stops when the largest standard
error is ≤ ``tol`` × |v(all) − v(∅)|, or when ``max_evaluations`` distinct coalitions have been evaluated; if
every coalition has been evaluated the result is exact.
"""
from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np

from .coalitions import CachedGame, require_budget
from .exact import shapley_from_values, shapley_weights
from .games import Game
from .result import LeadShapley


def _terms(n: int, order: int) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = []
    for k in range(1, order + 1):
        out += list(combinations(range(n), k))
    return out


def _design(Z: np.ndarray, terms: list[tuple[int, ...]]) -> np.ndarray:
    """Columns: intercept, then one product of indicators per term."""
    X = np.empty((Z.shape[0], len(terms) + 1))
    X[:, 0] = 1.0
    for j, t in enumerate(terms, start=1):
        X[:, j] = Z[:, list(t)].all(axis=1)
    return X


def _shapley_of_terms(n: int, terms: list[tuple[int, ...]]) -> np.ndarray:
    """(n, n_terms + 1) matrix M with φ(f) = M @ β for a k-additive game with coefficients β."""
    M = np.zeros((n, len(terms) + 1))
    for j, t in enumerate(terms, start=1):
        M[list(t), j] = 1.0 / len(t)
    return M


def _shapley_weights(Z: np.ndarray) -> np.ndarray:
    """c_i(S) for each coalition row of Z: (m, n); w[|S| − 1] for members, −w[|S|] for the others."""
    n = Z.shape[1]
    w = np.append(shapley_weights(n), 0.0)  # w[n] = 0: the full coalition has no outsiders
    s = Z.sum(axis=1)
    return np.where(Z, w[np.maximum(s - 1, 0)][:, None], -w[s][:, None])


def min_regression_budget(n_players: int) -> int:
    """The fewest distinct coalitions :func:`regression_shapley` accepts as ``max_evaluations`` for ``n_players``
    (2n + 2 border coalitions and two sampled complementary pairs); 30 for 12 leads."""
    return 2 * n_players + 6


def regression_shapley(game: Game, *, random_state: int | np.random.Generator | None = None, tol: float = 0.01,
                       max_evaluations: int | None = None, order: int = 3, n_folds: int = 5,
                       batch_pairs: int = 32, min_pairs: int = 40, max_pairs: int = 100_000,
                       ridge: float = 1e-12) -> LeadShapley:
    """Regression-adjusted Monte Carlo Shapley values of ``game`` (see module docstring).

    Parameters
    ----------
    tol : stop when max standard error ≤ tol × max |v(all) − v(∅)| over rows and outputs
    max_evaluations : budget of distinct coalitions evaluated, border included (None: no budget); never
        exceeded; at least :func:`min_regression_budget` (2n + 6) unless it holds every coalition (ValueError)
    order : highest interaction order of the surrogate (3: terms of up to 3 leads; 1 = additive)
    n_folds : cross-fitting folds (≥ 2)
    batch_pairs : complementary pairs drawn between two checks of the stopping rule
    min_pairs : pairs drawn before the first check
    ridge : ridge penalty of the surrogate fit, relative to the mean diagonal of the normal equations
    """
    if n_folds < 2:
        raise ValueError(f"n_folds must be ≥ 2, got {n_folds}")
    if order < 1:
        raise ValueError(f"order must be ≥ 1, got {order}")
    if max_pairs < 1:
        raise ValueError(f"max_pairs must be ≥ 1, got {max_pairs}")
    n = game.n_players
    smallest = min_regression_budget(n)
    require_budget(max_evaluations, n, smallest, "regression", f"the {2 * n + 2} border coalitions and two "
                   "sampled pairs, the fewest whose spread gives a standard error")
    rng = np.random.default_rng(random_state)
    seed = random_state if isinstance(random_state, int) else None
    full = (1 << n) - 1
    bits = 1 << np.arange(n)
    memo = CachedGame(game)

    border = [0, full] + [int(b) for b in bits] + [full ^ int(b) for b in bits]
    border = np.array(sorted(set(border)), dtype=np.int64)
    memo.values_of(border)
    v0, v_all = memo.values[0], memo.values[full]
    shape = v0.shape  # (rows, outputs)
    scale = float(np.max(np.abs(v_all - v0))) or 1.0

    sizes = np.arange(2, n - 1)  # sampled sizes (complements pair s with n - s)
    if len(sizes) == 0 or len(memo.values) == 1 << n:
        return _exact_from_memo(game, memo, seed)
    p_size = 1.0 / (sizes * (n - sizes))
    p_size /= p_size.sum()
    q_size = dict(zip(sizes.tolist(), p_size.tolist()))

    orders = list(range(1, min(order, n) + 1))
    terms = {o: _terms(n, o) for o in orders}
    shap_of = {o: _shapley_of_terms(n, terms[o]) for o in orders}

    bd = _border(memo, border, n, terms)
    pairs: list[int] = []  # drawn coalitions S (their complements are implied), with repeats
    fold_of: dict[int, int] = {}  # canonical pair code -> fold
    converged = False
    est = None
    while len(pairs) < max_pairs:
        b = min(batch_pairs if pairs else max(min_pairs, batch_pairs), max_pairs - len(pairs))
        if max_evaluations is not None:  # a pair adds at most 2 new coalitions: never exceed the budget
            room = max_evaluations - len(memo.values)
            if room < 2 and est is not None:
                break
            b = min(b, max(1, room // 2))
        k = rng.choice(sizes, size=b, p=p_size)
        # k uniformly chosen members: the k smallest of n random keys per draw
        ranks = np.argsort(rng.random((b, n)), axis=1)
        drawn = ((ranks < k[:, None]) * bits).sum(axis=1)
        for c in drawn.tolist():
            pairs.append(c)
            key = min(c, full ^ c)
            if key not in fold_of:
                fold_of[key] = int(rng.integers(n_folds))
        memo.values_of(np.concatenate([drawn, full ^ drawn]))
        if len(memo.values) == 1 << n:
            return _exact_from_memo(game, memo, seed)
        est = _estimate(memo, pairs, fold_of, bd, n, n_folds, q_size, orders, terms, shap_of, shape, ridge)
        if est[1].max() <= tol * scale:
            converged = True
            break
        if max_evaluations is not None and len(memo.values) >= max_evaluations - 1:
            break
    values, se = est
    return LeadShapley(values=values, std_error=se, players=list(game.players), outputs=list(game.outputs),
                       base_values=v0, full_values=v_all, n_evaluations=len(memo.values), method="regression",
                       seed=seed, converged=converged, n_permutations=0, game=game.description)


def _border(memo: CachedGame, codes: np.ndarray, n: int, terms: dict) -> dict:
    """What the estimate needs of the border coalitions (fixed once they are evaluated): their values, Shapley
    coefficients, kernel weights (∅ and N pinned with a large weight), designs per order, and the kernel mass
    left to the sampled sizes."""
    Z = (codes[:, None] & (1 << np.arange(n))) > 0
    s = Z.sum(axis=1)
    v = np.stack([memo.values[int(c)] for c in codes])
    total_mass = sum(1.0 / (k * (n - k)) for k in range(1, n))
    # kernel weight of a coalition: p(s)/C(n, s), with p(s) ∝ 1/(s(n − s)) = 1/(n − 1) for s = 1 and n − 1
    w = np.array([1.0 / (n - 1) / total_mass / comb(n, int(k)) if 0 < k < n else 0.0 for k in s])
    w = np.where((s == 0) | (s == n), 1e3 * max(w.max(), 1e-12), w)
    return {"v": v.reshape(len(codes), -1), "C": _shapley_weights(Z), "w": w,
            "X": {o: _design(Z, t) for o, t in terms.items()}, "sampled_mass": 1.0 - 2.0 / (n - 1) / total_mass}


def _estimate(memo, pairs, fold_of, bd, n, n_folds, q_size, orders, terms, shap_of, shape, ridge):
    full = (1 << n) - 1
    bits = 1 << np.arange(n)
    n_out = int(np.prod(shape))
    pairs_arr = np.asarray(pairs, dtype=np.int64)
    folds = np.array([fold_of[min(int(c), full ^ int(c))] for c in pairs_arr])
    # distinct coalitions and their draw counts (a pair's two members count once each)
    drawn = np.concatenate([pairs_arr, full ^ pairs_arr])
    drawn_fold = np.concatenate([folds, folds])
    uniq, inv = np.unique(drawn, return_inverse=True)
    Zu = (uniq[:, None] & bits) > 0
    vu = np.stack([memo.values[int(c)] for c in uniq]).reshape(len(uniq), n_out)
    su = Zu.sum(axis=1)
    qu = np.array([q_size[int(s)] / comb(n, int(s)) for s in su])
    Cu = _shapley_weights(Zu) / qu[:, None]  # importance-weighted c_i(S)/q(S)

    Xu = {o: _design(Zu, terms[o]) for o in orders}
    # per order: per-fold estimate (n, n_out) and per-pair held-out correction terms
    phi_o, var_o = {}, {}
    for o in orders:
        phis, terms_all = [], []
        for k in range(n_folds):
            held = folds == k
            if not held.any():
                continue
            train = np.bincount(inv[drawn_fold != k], minlength=len(uniq)).astype(float)
            wu = bd["sampled_mass"] * train / max(train.sum(), 1.0)
            X = np.concatenate([bd["X"][o], Xu[o]])
            w = np.concatenate([bd["w"], wu])
            y = np.concatenate([bd["v"], vu])
            XtW = X.T * w
            G = XtW @ X
            G[np.diag_indices_from(G)] += ridge * np.trace(G) / len(G) + 1e-12
            beta = np.linalg.solve(G, XtW @ y)  # (p, n_out)
            rb = bd["v"] - bd["X"][o] @ beta
            ru = vu - Xu[o] @ beta
            phi_k = shap_of[o] @ beta + bd["C"].T @ rb  # surrogate exactly + border residual exactly
            idx_s = inv[:len(pairs_arr)][held]
            idx_c = inv[len(pairs_arr):][held]
            t = 0.5 * (Cu[idx_s][:, :, None] * ru[idx_s][:, None, :] + Cu[idx_c][:, :, None] * ru[idx_c][:, None, :])
            phis.append(phi_k + t.mean(axis=0))
            terms_all.append(t)
        K = len(phis)
        phi_o[o] = np.mean(phis, axis=0)
        # Var(mean over folds of per-fold means) = (1/K²) Σ_k s_k²/m_k; a fold with a single pair has no spread
        # of its own and takes the pooled spread of every held-out term (finite whenever ≥ 2 pairs were drawn)
        pooled_terms = np.concatenate(terms_all)
        pooled = pooled_terms.var(axis=0, ddof=1) if len(pooled_terms) > 1 else np.full((n, n_out), np.inf)
        var = np.zeros((n, n_out))
        for t in terms_all:
            var += (t.var(axis=0, ddof=1) if len(t) > 1 else pooled) / len(t)
        var_o[o] = var / K**2
    # pick, per row and output, the order with the smallest total variance
    tot = np.stack([var_o[o].sum(axis=0) for o in orders])  # (n_orders, n_out)
    best = np.argmin(tot, axis=0)
    phi = np.stack([phi_o[o] for o in orders])[best, :, np.arange(n_out)].T  # (n, n_out)
    var = np.stack([var_o[o] for o in orders])[best, :, np.arange(n_out)].T
    values = phi.T.reshape(shape[0], shape[1], n).transpose(0, 2, 1)
    se = np.sqrt(var).T.reshape(shape[0], shape[1], n).transpose(0, 2, 1)
    return values, se


def _exact_from_memo(game: Game, memo: CachedGame, seed) -> LeadShapley:
    """All 2^n coalitions are in the memo: the Shapley values are exact."""
    vals = np.stack([memo.values[c] for c in range(1 << game.n_players)])  # (2^n, rows, outputs)
    phi = shapley_from_values(vals)
    return LeadShapley(values=phi, std_error=np.zeros_like(phi), players=list(game.players),
                       outputs=list(game.outputs), base_values=vals[0], full_values=vals[-1],
                       n_evaluations=len(vals), method="regression", seed=seed, converged=True,
                       game=game.description)
