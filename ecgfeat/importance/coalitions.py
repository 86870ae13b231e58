"""Coalitions as integer codes (player i = bit i) and :class:`CachedGame`, the one coalition cache that every
estimator (exact, permutation, regression) and every lead-set search reads values through.

A coalition evaluated once is free afterwards: wrapping a game that is itself a :class:`CachedGame` stacks a new
counting layer over the shared store, so each estimator counts the distinct coalitions *it* asked for (its budget)
while the underlying game computes each coalition once. The retraining game keeps its fitted models' predictions on
disk itself (:class:`~ecgfeat.importance.games.RetrainGame`); this cache holds values.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .games import Game


def coalition_codes(masks: np.ndarray) -> np.ndarray:
    """(c, n_players) boolean masks → (c,) int64 codes, player i = bit i."""
    masks = np.atleast_2d(np.asarray(masks, dtype=bool))
    return (masks.astype(np.int64) << np.arange(masks.shape[1], dtype=np.int64)).sum(axis=1)


def coalition_masks(codes: Iterable[int] | np.ndarray, n_players: int) -> np.ndarray:
    """(c,) codes → (c, n_players) boolean masks, player i = bit i."""
    codes = np.asarray(list(codes) if not isinstance(codes, np.ndarray) else codes, dtype=np.int64).reshape(-1)
    return ((codes[:, None] >> np.arange(n_players, dtype=np.int64)) & 1).astype(bool)


def require_budget(max_evaluations: int | None, n_players: int, smallest: int, method: str, why: str) -> None:
    """ValueError unless ``max_evaluations`` (None: no budget) is at least ``smallest`` distinct coalitions or holds
    every coalition; ``why`` says what the ``smallest`` are."""
    if max_evaluations is not None and max_evaluations < min(smallest, 1 << n_players):
        raise ValueError(f"max_evaluations={max_evaluations} is too small for {n_players} players: {method} needs "
                         f"at least {smallest} distinct coalitions ({why})")


def coalition_code(players: list[str], members: Iterable[str]) -> int:
    """Code of the coalition holding ``members`` (names from ``players``)."""
    code = 0
    for name in members:
        code |= 1 << players.index(name)
    return code


class CachedGame(Game):
    """``game`` with each coalition's value computed at most once; ``values`` maps code → (rows, outputs).

    ``n_evaluations`` is the number of distinct coalitions asked of this wrapper.
    """

    def __init__(self, game: Game):
        self.game = game
        self.players, self.outputs, self.n_rows = list(game.players), list(game.outputs), game.n_rows
        self.description = game.description
        self.values: dict[int, np.ndarray] = {}

    @property
    def n_evaluations(self) -> int:
        return len(self.values)

    def values_of(self, codes: np.ndarray) -> np.ndarray:
        """Values of coalitions given by code, shape ``codes.shape + (rows, outputs)``."""
        codes = np.asarray(codes, dtype=np.int64)
        todo = [int(c) for c in np.unique(codes) if int(c) not in self.values]
        if todo:
            for c, v in zip(todo, self.game(coalition_masks(todo, self.n_players))):
                self.values[c] = v
        if codes.size == 0:
            return np.empty(codes.shape + (self.n_rows, len(self.outputs)))
        return np.stack([self.values[int(c)] for c in codes.ravel()]).reshape(
            *codes.shape, *self.values[int(codes.flat[0])].shape)

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        return self.values_of(coalition_codes(masks))
