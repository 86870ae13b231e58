"""Monte Carlo Shapley values by antithetic permutation sampling, with running standard errors.

Each sample is a pair: a random permutation of the players and its reverse. Along a permutation the players
join one at a time; a player's marginal contribution is the change in value when it joins. The pair's average
is one sample per player; the estimate is the mean over pairs and its standard error is the sample SD over
pairs divided by sqrt(pairs) (Welford running moments). Every permutation's contributions sum to
v(all) − v(∅), so the estimate is efficient exactly, whatever the number of samples.

Coalition values are read through a :class:`~ecgfeat.importance.coalitions.CachedGame`, so a coalition met
again (for 12 players there are only 4,096) is never re-evaluated; sampling stops when the largest standard
error falls below ``tol`` × |v(all) − v(∅)| (after ``min_pairs``), or when the budget of value-function
evaluations (never exceeded) or pairs is spent.
"""
from __future__ import annotations

import numpy as np

from .coalitions import CachedGame
from .games import Game
from .result import LeadShapley


def _pairs_within_budget(prefix: np.ndarray, b: int, memo: CachedGame, room: int) -> int:
    """How many of the ``b`` antithetic pairs (rows i and b + i of ``prefix``), taken in order, need at most
    ``room`` coalitions not yet evaluated."""
    new: set[int] = set()
    for i in range(b):
        codes = {int(c) for c in prefix[i]} | {int(c) for c in prefix[b + i]}
        extra = {c for c in codes if c not in memo.values and c not in new}
        if len(new) + len(extra) > room:
            return i
        new |= extra
    return b


def permutation_shapley(game: Game, *, random_state: int | np.random.Generator | None = None, tol: float = 0.01,
                        max_evaluations: int | None = None, max_pairs: int = 10_000, min_pairs: int = 8,
                        batch_pairs: int = 8) -> LeadShapley:
    """Monte Carlo Shapley values of ``game`` (see module docstring).

    Parameters
    ----------
    tol : stop when max standard error ≤ tol × max |v(all) − v(∅)| over rows and outputs
    max_evaluations : budget of distinct coalition evaluations, never exceeded (None: no budget); sampling stops
        when the next antithetic pair would exceed it
    max_pairs, min_pairs : bounds on antithetic pairs
    batch_pairs : pairs whose coalitions are evaluated in one game call
    """
    rng = np.random.default_rng(random_state)
    seed = random_state if isinstance(random_state, int) else None
    n = game.n_players
    full = (1 << n) - 1
    memo = CachedGame(game)
    ends = memo.values_of(np.array([0, full]))
    v0, v_all = ends[0], ends[1]
    scale = float(np.max(np.abs(v_all - v0))) or 1.0
    count = 0
    mean = np.zeros((v0.shape[0], n, v0.shape[1]))
    m2 = np.zeros_like(mean)
    converged = False
    while count < max_pairs:
        b = min(batch_pairs, max_pairs - count)
        perms = np.stack([rng.permutation(n) for _ in range(b)])
        both = np.concatenate([perms, perms[:, ::-1]])  # antithetic partners
        prefix = np.zeros((len(both), n + 1), dtype=np.int64)
        prefix[:, 1:] = np.cumsum(1 << both, axis=1)
        if max_evaluations is not None:  # keep only the pairs whose new coalitions fit in the budget
            drawn = b
            b = _pairs_within_budget(prefix, drawn, memo, max_evaluations - memo.n_evaluations)
            if b == 0:
                break
            keep = np.r_[0:b, drawn:drawn + b]  # the first b pairs and their antithetic partners
            both, prefix = both[keep], prefix[keep]
        vals = memo.values_of(prefix)  # (2b, n+1, rows, outputs)
        delta = np.diff(vals, axis=1)  # contribution of the player joining at each step
        contrib = np.empty_like(delta)
        np.put_along_axis(contrib, both[:, :, None, None], delta, axis=1)
        sample = 0.5 * (contrib[:b] + contrib[b:])  # (b, n, rows, outputs) one sample per pair
        for s in sample.transpose(0, 2, 1, 3):  # (rows, n, outputs)
            count += 1
            d = s - mean
            mean += d / count
            m2 += d * (s - mean)
        if count >= min_pairs:
            se = np.sqrt(m2 / (count - 1) / count)
            if se.max() <= tol * scale:
                converged = True
                break
    se = np.sqrt(m2 / max(count - 1, 1) / count) if count > 1 else np.full_like(mean, np.nan)
    return LeadShapley(values=mean, std_error=se, players=list(game.players), outputs=list(game.outputs),
                       base_values=v0, full_values=v_all, n_evaluations=len(memo.values), method="permutation",
                       seed=seed, converged=converged, n_permutations=2 * count, game=game.description)
