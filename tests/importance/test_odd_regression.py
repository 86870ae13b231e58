"""odd_regression_shapley: exactness, efficiency, the budget as a ceiling, honest standard errors, the stopping
rule."""
from __future__ import annotations

import numpy as np
import pytest

from ecgfeat.importance import exact_shapley, lead_shapley, odd_regression_shapley
from ecgfeat.importance.coalitions import coalition_codes
from ecgfeat.importance.games import Game
from ecgfeat.importance.odd_regression import min_odd_regression_budget


class _LogisticGame(Game):
    """v(S) = sigmoid(a·z + zᵀBz + c z0 z1 z2 z3 z4 − 1): a smooth game with interactions of every order (the odd
    part is not a low-degree polynomial, so no estimator is exact by construction)."""

    def __init__(self, n: int = 12, seed: int = 0, rows: int = 1):
        rng = np.random.default_rng(seed)
        self.players = [f"p{i}" for i in range(n)]
        self.outputs = ["y"]
        self.n_rows = rows
        self.a = rng.normal(size=(n, rows))
        self.b = rng.normal(size=(n, n)) * 0.4

    def __call__(self, masks):
        z = np.asarray(masks, float)
        k = min(5, z.shape[1])
        t = z @ self.a + (np.einsum("ci,ij,cj->c", z, self.b, z) + 2.0 * z[:, :k].prod(axis=1))[:, None] - 1.0
        return (1.0 / (1.0 + np.exp(-t)))[:, :, None]


class _ThresholdGame(Game):
    """v(S) = 1 if the weight of S passes a threshold: a jumpy, strongly non-additive game (like an AUROC over
    few records)."""

    def __init__(self, n: int = 12, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.players = [f"p{i}" for i in range(n)]
        self.outputs = ["y"]
        self.n_rows = 1
        self.w = rng.exponential(size=n)
        self.t = 0.45 * self.w.sum()

    def __call__(self, masks):
        z = np.asarray(masks, float)
        return (z @ self.w >= self.t).astype(float)[:, None, None] + 0.1 * z.mean(axis=1)[:, None, None]


def test_exact_when_the_budget_holds_every_coalition():
    for n in (3, 6, 12):
        game = _LogisticGame(n=n)
        res = odd_regression_shapley(game, random_state=0, tol=0.0, max_evaluations=1 << n)
        assert res.n_evaluations == 1 << n and res.converged
        np.testing.assert_allclose(res.values, exact_shapley(game).values, atol=1e-12)
        assert res.std_error.max() == 0.0


def test_efficiency_is_exact_at_any_budget():
    game = _LogisticGame(rows=3)
    for budget in (46, 150, 777):
        res = odd_regression_shapley(game, random_state=2, tol=0.0, max_evaluations=budget)
        np.testing.assert_allclose(res.efficiency_gap(), 0, atol=1e-10)


def test_the_budget_is_a_ceiling_and_too_small_a_budget_is_refused():
    game = _ThresholdGame()
    for budget in (46, 47, 101, 150, 401, 1600):
        for tol in (0.0, 0.05):
            res = odd_regression_shapley(game, random_state=1, tol=tol, max_evaluations=budget)
            assert res.n_evaluations <= budget, (budget, tol, res.n_evaluations)
            if tol == 0.0:
                assert res.n_evaluations >= budget - 3, (budget, res.n_evaluations)
            assert np.isfinite(res.std_error).all()
    assert min_odd_regression_budget(12) == 46
    with pytest.raises(ValueError, match="at least 46"):
        odd_regression_shapley(game, random_state=0, max_evaluations=45)


@pytest.mark.parametrize("make_game", [lambda s: _LogisticGame(seed=s), lambda s: _ThresholdGame(seed=s)],
                         ids=["logistic", "threshold"])
def test_standard_errors_cover_the_true_value(make_game):
    """95 % intervals over 6 games × 8 seeds × 12 players at two budgets: 1,152 intervals, so a coverage of
    0.95 has a binomial SD of 0.0064 and the bounds below are −1.6 and +4.7 SD (intervals of one run are
    correlated, which widens that somewhat). With the plain variance alone (before the g-weighted share) the
    logistic games' intervals covered 0.931: too narrow at small budgets; then 0.959 (threshold games 0.949 → 0.963),
    and 0.953 (0.957) since the de-biasing weight cap/m − 1."""
    inside = total = 0
    for g in range(6):
        game = make_game(g)
        exact = exact_shapley(game).values
        for seed in range(8):
            for budget in (150, 600):
                res = odd_regression_shapley(game, random_state=seed, tol=0.0, max_evaluations=budget)
                inside += int((np.abs(res.values - exact) <= 1.96 * res.std_error).sum())
                total += exact.size
    assert 0.94 <= inside / total <= 0.98, inside / total


def test_stopping_rule_bounds_the_error():
    """tol is a bound on max_i |φ̂_i − φ_i| / |v(N) − v(∅)| that holds in at least 95 % of runs, and the rule
    stops before the game is enumerated (with max_evaluations=None it once enumerated every game)."""
    ok = runs = 0
    for g in range(4):
        game = _LogisticGame(seed=10 + g)
        ex = exact_shapley(game)
        scale = np.abs(ex.full_values - ex.base_values).max()
        for seed in range(6):
            res = odd_regression_shapley(game, random_state=seed, tol=0.02)
            assert res.converged and res.n_evaluations < 4096
            ok += int(np.abs(res.values - ex.values).max() <= 0.02 * scale)
            runs += 1
    assert ok / runs >= 0.95, ok / runs


def test_lead_shapley_offers_it():
    game = _LogisticGame()
    res = lead_shapley(game, "odd-regression", random_state=0, max_evaluations=300, tol=0.0)
    assert res.method == "odd-regression" and res.n_evaluations <= 300
    # 'auto' is exact up to 12 players and odd-regression above
    assert lead_shapley(_LogisticGame(n=6), random_state=0).method == "exact"
    res = lead_shapley(_LogisticGame(n=13), random_state=0, max_evaluations=300, tol=0.0)
    assert res.method == "odd-regression" and res.n_evaluations <= 300


class _TwoOutputGame(Game):
    """The logistic game's values as output 0 and an output with no value anywhere (NaN, like the AUROC of a
    label with one class among the held-out records) as output 1."""

    def __init__(self):
        self.inner = _LogisticGame()
        self.players, self.outputs, self.n_rows = self.inner.players, ["y", "one class"], 1

    def __call__(self, masks):
        v = self.inner(masks)
        return np.concatenate([v, np.full_like(v, np.nan)], axis=2)


def test_an_output_without_values_gets_no_estimate_and_leaves_the_others_unchanged():
    """Before the fix an all-NaN output stopped the whole estimate with scipy's 'array must not contain infs or
    NaNs' (a study whose held-out records have one class of a label would crash in its sampled games)."""
    res = odd_regression_shapley(_TwoOutputGame(), random_state=0, tol=0.0, max_evaluations=300)
    alone = odd_regression_shapley(_LogisticGame(), random_state=0, tol=0.0, max_evaluations=300)
    assert np.isnan(res.values[0, :, 1]).all() and np.isnan(res.std_error[0, :, 1]).all()
    np.testing.assert_allclose(res.values[0, :, 0], alone.values[0, :, 0], atol=1e-12)
    np.testing.assert_allclose(res.std_error[0, :, 0], alone.std_error[0, :, 0], atol=1e-12)


class _ApartEmptyGame(Game):
    """v(∅) = 0.5 and v(S) = 0.9 + 0.1 × the logistic game otherwise: the empty coalition stands apart from every
    other, as the AUROC of a model retrained without any lead (0.5) does from one with any lead (≈ 0.9)."""

    def __init__(self, seed: int = 0):
        self.inner = _LogisticGame(seed=seed)
        self.players, self.outputs, self.n_rows = self.inner.players, ["y"], 1

    def __call__(self, masks):
        z = np.asarray(masks, bool)
        v = 0.9 + 0.1 * self.inner(z)
        v[~z.any(axis=1)] = 0.5
        return v


def _mean_relative_error(make_game, games: int, seeds: int, budget: int) -> float:
    """Mean over games (seeds 0 … games − 1) and sampling seeds of odd-regression's largest error at ``budget``
    coalitions, over |v(N) − v(∅)|; efficiency is checked to be exact on every run."""
    errors = []
    for g in range(games):
        game = make_game(seed=g)
        exact = exact_shapley(game)
        scale = float(np.abs(exact.full_values - exact.base_values).max())
        for seed in range(seeds):
            res = odd_regression_shapley(game, random_state=seed, tol=0.0, max_evaluations=budget)
            np.testing.assert_allclose(res.efficiency_gap(), 0, atol=1e-10)
            errors.append(np.abs(res.values - exact.values).max() / scale)
    return float(np.mean(errors))


def test_an_empty_coalition_apart_from_the_others_does_not_bend_the_surrogate():
    """The surrogate was once forced through the pair {∅, N}: on these games the mean error at 300 coalitions was
    4.5 % of v(N) − v(∅) (max 6.4 %); left out of the fit, with its term in φ taken from the game, 0.45 %
    (0.40 % since the de-biasing weight cap/m − 1)."""
    assert _mean_relative_error(_ApartEmptyGame, games=4, seeds=5, budget=300) < 0.015


def test_a_stratum_nearly_filled_by_its_share_is_taken_whole():
    """At 400 coalitions (199 pairs) the kernel-proportional share of the pairs of 2 and 10 players is 58 of 66:
    sampled nearly whole, its error is a few unseen pairs' residuals, which the leave-one-out spread misjudges
    (the 95 % intervals of fold 4's global tuning games covered 0.922 there). The stratum is taken whole, and the
    allocation still spends exactly the pairs it is given."""
    from ecgfeat.importance.odd_regression import FULL_STRATUM, _Design

    design = _Design(12, np.random.default_rng(0))
    for n_pairs in (73, 100, 199, 300, 599, 800, 1500, 2046):
        alloc = design.allocation(n_pairs)
        assert alloc.sum() == n_pairs and (alloc <= design.cap).all() and (alloc[1:] >= 2).all(), (n_pairs, alloc)
        partial = (alloc > 0) & (alloc < design.cap)
        if n_pairs < 2000:  # (one pair short of every coalition, the last stratum cannot be completed)
            assert (alloc[partial] < FULL_STRATUM * design.cap[partial] + 2).all(), (n_pairs, alloc)
    assert design.allocation(199)[1] == design.cap[1] == 66


class _SparseInteractionGame(Game):
    """v(S) = Σ_j a_j x_j + Σ_T b_T χ_T(S) in the ±1 coding (x_j = 1 if j ∈ S else −1): main effects falling with j,
    and three interactions of three players, one among the main players and two among minor ones (few
    interactions, like the local games of a label whose model leans on a few lead combinations)."""

    def __init__(self, n: int = 12, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.players = [f"p{i}" for i in range(n)]
        self.outputs = ["y"]
        self.n_rows = 1
        self.a = np.sort(rng.exponential(size=n))[::-1] * 2.0
        self.terms = [(0, 1, 2), (3, 7, 9), (5, 8, 11)]
        self.b = rng.normal(size=len(self.terms))

    def __call__(self, masks):
        x = 2.0 * np.asarray(masks, float) - 1.0
        v = x @ self.a + sum(b * x[:, list(t)].prod(axis=1) for b, t in zip(self.b, self.terms))
        return v[:, None, None]


def test_a_few_strong_interactions_are_fitted_nearly_freely(monkeypatch):
    """The sparse candidate (the degree-3 terms of largest coefficient in the first fit penalised 1e-4 instead of
    1e-2) finds a few interactions wherever they lie. Without it the mean error at 300 coalitions on these games
    is 0.51 % of v(N) − v(∅); with it, 0.018 % (with the de-biasing weight cap/m − 1)."""
    from ecgfeat.importance import odd_regression

    with_sparse = _mean_relative_error(_SparseInteractionGame, games=4, seeds=3, budget=300)
    monkeypatch.setattr(odd_regression, "SPARSE_TERMS", 0)
    without = _mean_relative_error(_SparseInteractionGame, games=4, seeds=3, budget=300)
    assert with_sparse < 0.2 * without, (with_sparse, without)


class _NoisyAdditiveGame(Game):
    """v(S) = Σ_{i∈S} a_i + σ ε(S), ε a fixed standard normal draw per coalition: main effects under a rough,
    structureless part of every order, like a retraining game, where every coalition's model is fitted anew."""

    def __init__(self, n: int = 12, seed: int = 0, sigma: float = 0.05):
        rng = np.random.default_rng(seed)
        self.players = [f"p{i}" for i in range(n)]
        self.outputs = ["y"]
        self.n_rows = 1
        self.a = rng.exponential(size=n)
        self.eps = sigma * self.a.sum() * rng.normal(size=1 << n)

    def __call__(self, masks):
        z = np.asarray(masks, bool)
        return (z @ self.a + self.eps[coalition_codes(z)])[:, None, None]


def test_a_rough_game_gets_a_heavily_penalised_surrogate(monkeypatch):
    """Interactions fitted to structureless roughness are noise, and the de-biasing term then adds the residuals
    they leave back; the candidate (1.0, 10.0), penalties 100 times the first candidate's, lets the
    leave-one-pair-out choice keep them small. On these games at 300 coalitions the mean error is 1.34 % of
    v(N) − v(∅) without it and 0.90 % with it (1.33 % and 0.90 % with the de-biasing weight cap/m − 1)."""
    from ecgfeat.importance import odd_regression

    with_heavy = _mean_relative_error(_NoisyAdditiveGame, games=4, seeds=4, budget=300)
    monkeypatch.setattr(odd_regression, "RIDGE_CANDIDATES", odd_regression.RIDGE_CANDIDATES[:3])
    without = _mean_relative_error(_NoisyAdditiveGame, games=4, seeds=4, budget=300)
    assert with_heavy < 0.9 * without, (with_heavy, without)


def test_the_de_biasing_term_does_not_over_correct(monkeypatch):
    """A sampled pair's own term in φ is its in-sample residual, which is exact for it; only the unsampled pairs'
    residuals are estimated, from the sampled pairs' leave-one-pair-out residuals, with weight cap/m − 1 per pair
    (a stratum of cap pairs, m sampled). Weighting them by cap/m, as this estimator once did, over-corrected the
    surrogate's optimism and biased φ: on these games (one ridge candidate, 300 coalitions, 40 seeds) the mean
    over leads and games of t² = (mean error / its standard error)² was 3.9 (≈ 1 for an unbiased estimator), 0.65
    with cap/m − 1."""
    from ecgfeat.importance import odd_regression

    monkeypatch.setattr(odd_regression, "RIDGE_CANDIDATES", ((1e-2, None),))
    monkeypatch.setattr(odd_regression, "SPARSE_TERMS", 0)
    seeds, t2 = 40, []
    for g in range(4):
        game = _LogisticGame(seed=g)
        exact = exact_shapley(game).values[0, :, 0]
        errors = np.array([odd_regression_shapley(game, random_state=s, tol=0.0, max_evaluations=300).values[0, :, 0]
                           - exact for s in range(seeds)])
        t2.append((errors.mean(axis=0) / (errors.std(axis=0, ddof=1) / np.sqrt(seeds))) ** 2)
    assert np.mean(t2) < 1.6, np.round(np.mean(t2, axis=1), 2)
