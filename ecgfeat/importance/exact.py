"""Exact Shapley values by enumerating all 2^n coalitions (n ≤ 16; 12 leads = 4,096 coalitions)."""
from __future__ import annotations

from math import factorial

import numpy as np
from tqdm.auto import tqdm

from .games import Game
from .result import LeadShapley

MAX_EXACT_PLAYERS = 16


def all_coalitions(n_players: int) -> np.ndarray:
    """(2^n, n) boolean masks; row ``c`` holds the bits of the integer ``c`` (player i = bit i)."""
    codes = np.arange(2 ** n_players)
    return ((codes[:, None] >> np.arange(n_players)) & 1).astype(bool)


def shapley_weights(n_players: int) -> np.ndarray:
    """w[s] = s! (n - s - 1)! / n! for coalition sizes s = 0 … n-1."""
    return np.array([factorial(s) * factorial(n_players - s - 1) / factorial(n_players)
                     for s in range(n_players)])


def exact_shapley(game: Game, progress: bool = False, batch_coalitions: int = 256) -> LeadShapley:
    """Exact Shapley values of ``game``: all coalitions evaluated in batched calls, then weighted
    marginal contributions. Efficiency holds to floating-point precision.

    progress : a progress bar over coalitions (total and ETA), ``batch_coalitions`` per game call
    """
    n = game.n_players
    if n > MAX_EXACT_PLAYERS:
        raise ValueError(f"exact enumeration needs 2^{n} coalitions; use a Monte Carlo method for n > "
                         f"{MAX_EXACT_PLAYERS}")
    masks = all_coalitions(n)
    if progress:
        parts = []
        with tqdm(total=len(masks), desc="coalitions", unit="coalition") as bar:
            for a in range(0, len(masks), batch_coalitions):
                parts.append(game(masks[a:a + batch_coalitions]))
                bar.update(len(parts[-1]))
        v = np.concatenate(parts)
    else:
        v = game(masks)  # (2^n, rows, outputs)
    phi = shapley_from_values(v)
    return LeadShapley(values=phi, std_error=np.zeros_like(phi), players=list(game.players),
                       outputs=list(game.outputs), base_values=v[0], full_values=v[-1],
                       n_evaluations=len(masks), method="exact", game=game.description)


def shapley_from_values(v: np.ndarray) -> np.ndarray:
    """Shapley values (rows, n, outputs) from the values ``v`` (2^n, rows, outputs) of all coalitions, row ``c``
    being the coalition whose members are the bits of ``c``."""
    n = int(np.log2(len(v)))
    codes = np.arange(2 ** n)
    size = all_coalitions(n).sum(axis=1)
    w = shapley_weights(n)
    phi = np.empty((v.shape[1], n, v.shape[2]))
    for i in range(n):
        without = codes[(codes >> i) & 1 == 0]
        phi[:, i, :] = np.einsum("c,cro->ro", w[size[without]], v[without | (1 << i)] - v[without])
    return phi
