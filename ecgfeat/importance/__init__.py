"""Lead importance: Shapley values of lead groups (exact and Monte Carlo), value functions, shap interop."""
from __future__ import annotations

import numpy as np

from .exact import exact_shapley
from .games import Game, GlobalScoreGame, MaskedModelGame, RetrainGame
from .permutation import permutation_shapley
from .result import LeadShapley


def lead_shapley(game: Game, method: str = "auto", *, random_state: int | np.random.Generator | None = None,
                 tol: float = 0.01, max_evaluations: int | None = None, max_pairs: int = 10_000) -> LeadShapley:
    """Shapley values of the players (leads) of ``game``.

    method : 'exact' (all 2^n coalitions), 'permutation' (antithetic Monte Carlo with standard errors and a
        stopping rule) or 'auto' (exact up to 12 players, i.e. 4,096 coalitions).
    """
    if method == "auto":
        method = "exact" if game.n_players <= 12 else "permutation"
    if method == "exact":
        return exact_shapley(game)
    if method == "permutation":
        return permutation_shapley(game, random_state=random_state, tol=tol, max_evaluations=max_evaluations,
                                   max_pairs=max_pairs)
    raise ValueError(f"method must be 'auto', 'exact' or 'permutation', got {method!r}")


__all__ = ["Game", "GlobalScoreGame", "LeadShapley", "MaskedModelGame", "RetrainGame", "exact_shapley",
           "lead_shapley", "permutation_shapley"]
