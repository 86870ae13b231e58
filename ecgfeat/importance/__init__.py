"""Lead importance: Shapley values of lead groups (exact and Monte Carlo), value functions, shap interop."""
from __future__ import annotations

import numpy as np

from .exact import exact_shapley
from .games import Game, GlobalScoreGame, MaskedModelGame, RetrainGame
from .odd_regression import odd_regression_shapley
from .permutation import permutation_shapley
from .regression import regression_shapley
from .result import LeadShapley


def lead_shapley(game: Game, method: str = "auto", *, random_state: int | np.random.Generator | None = None,
                 tol: float = 0.01, max_evaluations: int | None = None, max_pairs: int = 10_000,
                 progress: bool = False) -> LeadShapley:
    """Shapley values of the players (leads) of ``game``.

    method : 'exact' (all 2^n coalitions), 'permutation' (antithetic Monte Carlo with standard errors and a
        stopping rule), 'regression' (Monte Carlo on the residual of a fitted low-order surrogate game, with
        standard errors), 'odd-regression' (complementary pairs sampled without replacement by size, a ridge
        regression of the game's odd part, design-based standard errors; in ``benchmarks/bench_samplers.py`` it
        needs the fewest distinct evaluations for 1 % error among ecgfeat's samplers, shap's and shapiq's on the
        local, global and retraining games, mean and median over games; on the retraining games' median only
        narrowly, 437 against RegressionMSR's 454) or
        'auto' (exact up to 12 players, i.e. 4,096 coalitions, else 'odd-regression')
    tol : Monte Carlo stopping rule: largest standard error ≤ tol × |v(all) − v(∅)| ('permutation',
        'regression'); for 'odd-regression' every player's error ≤ tol × |v(all) − v(∅)| at 95 % (Bonferroni)
    max_evaluations : Monte Carlo budget of distinct coalitions evaluated
    progress : a progress bar over coalitions for 'exact'
    """
    if method == "auto":
        method = "exact" if game.n_players <= 12 else "odd-regression"
    if method == "exact":
        return exact_shapley(game, progress=progress)
    if method == "permutation":
        return permutation_shapley(game, random_state=random_state, tol=tol, max_evaluations=max_evaluations,
                                   max_pairs=max_pairs)
    if method == "regression":
        return regression_shapley(game, random_state=random_state, tol=tol, max_evaluations=max_evaluations)
    if method == "odd-regression":
        return odd_regression_shapley(game, random_state=random_state, tol=tol, max_evaluations=max_evaluations)
    raise ValueError("method must be 'auto', 'exact', 'permutation', 'regression' or 'odd-regression', got "
                     f"{method!r}")


__all__ = ["Game", "GlobalScoreGame", "LeadShapley", "MaskedModelGame", "RetrainGame", "exact_shapley",
           "lead_shapley", "odd_regression_shapley", "permutation_shapley", "regression_shapley"]
