"""Lead Shapley cross-checks: analytic games, shap's ExactExplainer, Monte Carlo convergence and coverage,
additive models vs TreeSHAP, and planted truth."""
from __future__ import annotations

import numpy as np
import pytest
import shap

from ecgfeat._constants import LEADS
from ecgfeat.features.lead_groups import LeadGroups
from ecgfeat.importance import (Game, GlobalScoreGame, MaskedModelGame, RetrainGame, exact_shapley, lead_shapley,
                                permutation_shapley, regression_shapley)
from ecgfeat.importance.coalitions import CachedGame, coalition_code, coalition_codes, coalition_masks
from ecgfeat.importance.shap_bridge import LeadMasker, grouped_tree_shap
from ecgfeat.models.classifier import LeadGroupedXGBClassifier
from ecgfeat.models.synthetic import make_lead_cohort


@pytest.fixture(scope="module")
def cohort():
    return make_lead_cohort(800, n_labels=2, random_state=0)


@pytest.fixture(scope="module")
def model(cohort):
    X, Y = cohort
    return LeadGroupedXGBClassifier(lead_dropout=0.3, n_estimators=100).fit(X, Y)


def test_analytic_game_efficiency_symmetry_null_player():
    X, _ = make_lead_cohort(10, n_features_per_lead=2, random_state=1)
    groups = LeadGroups.from_columns(list(X.columns))
    cols = {lead: groups.indices(lead) for lead in LEADS}

    def f(Z):  # V1 + V2 enter symmetrically with an interaction; I is additive; other leads unused
        v1 = np.nan_to_num(Z[:, cols["V1"]]).sum(axis=1)
        v2 = np.nan_to_num(Z[:, cols["V2"]]).sum(axis=1)
        i = np.nan_to_num(Z[:, cols["I"]]).sum(axis=1)
        return np.column_stack([v1 * v2 + i, i])

    X.iloc[:, cols["V2"]] = X.iloc[:, cols["V1"]].to_numpy()  # V1 and V2 identical: symmetric players
    res = exact_shapley(MaskedModelGame(f, X, groups))
    np.testing.assert_allclose(res.efficiency_gap(), 0, atol=1e-12)
    v = res.values
    np.testing.assert_allclose(v[:, LEADS.index("V1"), 0], v[:, LEADS.index("V2"), 0], atol=1e-12)
    x_i = X.iloc[:, cols["I"]].sum(axis=1).to_numpy()
    np.testing.assert_allclose(v[:, LEADS.index("I"), 0], x_i, atol=1e-5)  # additive term (float32 inputs)
    np.testing.assert_allclose(v[:, LEADS.index("V1"), 0], 0.5 * X.iloc[:, cols["V1"]].sum(axis=1) ** 2,
                               atol=1e-5)  # interaction shared equally
    for lead in ("II", "III", "aVR", "V6"):
        assert np.all(v[:, LEADS.index(lead)] == 0)  # null players


@pytest.mark.parametrize("masking", ["missing", "background"])
def test_exact_equals_shap_exact_explainer(model, cohort, masking):
    X, _ = cohort
    rows = X.iloc[:6]
    bg = X.iloc[200:215].to_numpy() if masking == "background" else None
    game = MaskedModelGame(model.predict_label_proba, rows, model.lead_groups_, masking=masking, background=bg,
                           outputs=model.labels_)
    ours = exact_shapley(game)
    for k in range(2):
        ref = shap.ExactExplainer(lambda Z: model.predict_label_proba(Z)[:, k],
                                  LeadMasker(model.lead_groups_, bg))(rows.to_numpy())
        np.testing.assert_allclose(ours.values[:, :, k], ref.values, atol=1e-6)
        np.testing.assert_allclose(ours.base_values[:, k], ref.base_values, atol=1e-6)
    np.testing.assert_allclose(ours.efficiency_gap(), 0, atol=1e-10)
    assert ours.n_evaluations == 4096


def test_monte_carlo_converges_within_budget(model, cohort):
    """Documented budget: tol=0.005 stops with error <= 2 % of |v(all) - v(none)| (checked over 5 seeds)."""
    X, _ = cohort
    game = MaskedModelGame(model.predict_label_proba, X.iloc[:8], model.lead_groups_, outputs=model.labels_)
    exact = exact_shapley(game)
    scale = np.abs(exact.full_values - exact.base_values).max()
    for seed in range(5):
        mc = permutation_shapley(game, random_state=seed, tol=0.005)
        assert mc.converged and mc.n_evaluations < 4096
        assert np.abs(mc.values - exact.values).max() <= 0.02 * scale
        np.testing.assert_allclose(mc.efficiency_gap(), 0, atol=1e-10)  # every permutation is efficient


@pytest.mark.parametrize("estimator, seeds", [
    (lambda g, s: permutation_shapley(g, random_state=s, tol=0.0, max_pairs=24, min_pairs=24, batch_pairs=24), 40),
    (lambda g, s: regression_shapley(g, random_state=s, tol=0.0, max_evaluations=300), 30),
], ids=["permutation", "regression"])
def test_standard_errors_cover_the_true_error(model, cohort, estimator, seeds):
    X, _ = cohort
    game = MaskedModelGame(model.predict_label_proba, X.iloc[:3], model.lead_groups_, outputs=model.labels_)
    exact = exact_shapley(game)
    inside, total = 0, 0
    for seed in range(seeds):
        mc = estimator(game, seed)
        z = np.abs(mc.values - exact.values) / np.maximum(mc.std_error, 1e-12)
        moving = exact.values != 0
        inside += int((z[moving] <= 1.96).sum())
        total += int(moving.sum())
    coverage = inside / total
    assert 0.88 <= coverage <= 0.995, coverage  # nominal 95 %


class _PolynomialGame(Game):
    """v(S) = Σ a_i z_i + Σ b_ij z_i z_j + c z_0 z_1 z_2 + d z_0 … z_{k-1} (one term of order k): exact Shapley
    values known."""

    def __init__(self, n: int = 12, k: int = 0, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.players = [f"p{i}" for i in range(n)]
        self.outputs = ["y"]
        self.n_rows = 1
        self.a = rng.normal(size=n)
        self.b = np.triu(rng.normal(size=(n, n)), 1)
        self.k = k

    def __call__(self, masks):
        z = masks.astype(float)
        v = z @ self.a + np.einsum("ci,ij,cj->c", z, self.b, z) + 1.5 * z[:, 0] * z[:, 1] * z[:, 2]
        if self.k:
            v = v + 2.0 * z[:, : self.k].prod(axis=1)
        return v[:, None, None]


def test_regression_recovers_games_up_to_fourth_order_exactly():
    """The surrogate has terms of up to 3 players, and paired sampling only sees the odd part of the residual,
    r(S) − r(complement of S), which for a 4th-order term is cubic: games with interactions of up to 4 players
    come out exactly, with zero standard error. A 5th-order term is estimated (nonzero standard error)."""
    for k in (0, 4):
        game = _PolynomialGame(k=k)
        res = regression_shapley(game, random_state=0, tol=0.0, max_evaluations=700)
        assert res.n_evaluations < 4096
        np.testing.assert_allclose(res.values, exact_shapley(game).values, atol=1e-8)
        assert res.std_error.max() < 1e-8
    game5 = _PolynomialGame(k=5)
    res5 = regression_shapley(game5, random_state=0, tol=0.0, max_evaluations=700)
    assert res5.std_error.max() > 1e-4
    np.testing.assert_allclose(res5.efficiency_gap(), 0, atol=1e-9)
    assert np.abs(res5.values - exact_shapley(game5).values).max() < 4 * res5.std_error.max()


def test_regression_never_exceeds_its_evaluation_budget():
    """One evaluation can be one model fit (RetrainGame): the budget is a ceiling, not a target to overshoot."""
    game = _PolynomialGame(k=5)
    for budget in (30, 101, 150, 400):
        res = regression_shapley(game, random_state=1, tol=0.0, max_evaluations=budget)
        assert budget - 2 <= res.n_evaluations <= budget, (budget, res.n_evaluations)


def test_permutation_never_exceeds_its_evaluation_budget():
    """Was checked only after each 8-pair batch: max_evaluations=50 used 166 distinct coalitions."""
    game = _PolynomialGame(k=5)
    for budget in (30, 50, 101, 200, 400):
        res = permutation_shapley(game, random_state=1, tol=0.0, max_evaluations=budget)
        assert budget - 2 * (game.n_players - 1) <= res.n_evaluations <= budget, (budget, res.n_evaluations)
        assert res.n_permutations >= 2
        np.testing.assert_allclose(res.efficiency_gap(), 0, atol=1e-9)


def test_regression_standard_errors_are_finite_at_small_budgets():
    """A cross-fitting fold holding one pair has no variance of its own: it borrows the pooled one (was inf)."""
    game = _PolynomialGame(k=5)
    for seed in range(10):
        for budget in (30, 40, 60):
            res = regression_shapley(game, random_state=seed, tol=0.0, max_evaluations=budget)
            assert np.isfinite(res.std_error).all(), (seed, budget)


def test_regression_refuses_a_budget_too_small_to_estimate_its_error():
    """Below the 2n + 2 border coalitions plus two sampled pairs, no spread can be estimated: the standard error
    was infinite (a budget of 24 for 12 leads). Now a clear error names the smallest budget."""
    game = _PolynomialGame(k=5)
    for budget in (10, 24, 29):
        with pytest.raises(ValueError, match="at least 30"):
            regression_shapley(game, random_state=0, tol=0.0, max_evaluations=budget)
    small = _PolynomialGame(n=3)  # 8 coalitions: every one fits in a budget of 8, so the result is exact
    res = regression_shapley(small, random_state=0, tol=0.0, max_evaluations=8)
    np.testing.assert_allclose(res.values, exact_shapley(small).values, atol=1e-12)


def test_regression_is_exact_when_every_coalition_is_evaluated():
    for n in (3, 6):  # n = 3: the border (sizes 0, 1, n-1, n) is everything; n = 6: sampling fills the rest
        game = _PolynomialGame(n=n, k=5 if n > 5 else 0)
        res = regression_shapley(game, random_state=0, tol=0.0, max_evaluations=10_000, max_pairs=2000)
        assert res.n_evaluations == 2**n and res.converged
        np.testing.assert_allclose(res.values, exact_shapley(game).values, atol=1e-12)


def test_regression_converges_within_budget_and_beats_permutation(model, cohort):
    """Documented budget: tol=0.005 stops with error <= 2 % of |v(all) - v(none)|; at an equal budget of
    distinct evaluations (400) its error is well below the antithetic permutation sampler's (mean, 5 seeds)."""
    X, _ = cohort
    game = MaskedModelGame(model.predict_label_proba, X.iloc[:8], model.lead_groups_, outputs=model.labels_)
    exact = exact_shapley(game)
    scale = np.abs(exact.full_values - exact.base_values).max()
    err_reg, err_perm = [], []
    for seed in range(5):
        res = lead_shapley(game, "regression", random_state=seed, tol=0.005)
        assert res.converged and res.n_evaluations < 4096
        assert np.abs(res.values - exact.values).max() <= 0.02 * scale
        np.testing.assert_allclose(res.efficiency_gap(), 0, atol=1e-9)  # exactly efficient by construction
        reg = regression_shapley(game, random_state=seed, tol=0.0, max_evaluations=400)
        perm = permutation_shapley(game, random_state=seed, tol=0.0, max_evaluations=reg.n_evaluations,
                                   batch_pairs=1)
        err_reg.append(np.abs(reg.values - exact.values).max())
        err_perm.append(np.abs(perm.values - exact.values).max())
    assert np.mean(err_reg) < 0.75 * np.mean(err_perm), (err_reg, err_perm)  # measured: 0.0081 vs 0.0183


def test_additive_model_lead_shapley_equals_grouped_tree_shap(cohort):
    import xgboost as xgb

    X, Y = cohort
    stumps = xgb.XGBRegressor(n_estimators=60, max_depth=1, learning_rate=0.2).fit(X.to_numpy(), Y.iloc[:, 0])
    groups = LeadGroups.from_columns(list(X.columns))
    bg = X.iloc[300:330].to_numpy()
    rows = X.iloc[:10]
    margin = lambda Z: stumps.get_booster().inplace_predict(Z, predict_type="margin")  # noqa: E731
    ours = exact_shapley(MaskedModelGame(margin, rows, groups, masking="background", background=bg))
    tree = grouped_tree_shap(stumps, rows.to_numpy(), groups, background=bg)
    np.testing.assert_allclose(ours.values[:, :, 0], tree, atol=1e-5)


def test_planted_v1_ranks_first_with_masking_and_retraining(tmp_path):
    for seed in range(3):
        X, Y = make_lead_cohort(500, n_labels=1, random_state=seed)
        Xt, Yt = make_lead_cohort(300, n_labels=1, random_state=100 + seed)
        m = LeadGroupedXGBClassifier(lead_dropout=0.3, n_estimators=80, random_state=seed).fit(X, Y)
        local = exact_shapley(MaskedModelGame(m.predict_label_proba, Xt.iloc[:40], m.lead_groups_))
        assert local.ranking(0)[0] == "V1"
        glob = lead_shapley(GlobalScoreGame(m.predict_label_proba, Xt, Yt, m.lead_groups_), "permutation",
                            random_state=seed, tol=0.02, max_pairs=40)
        assert glob.ranking(0)[0] == "V1"
        retrain = RetrainGame(lambda leads: LeadGroupedXGBClassifier(leads=leads, n_estimators=40,
                                                                     early_stopping_rounds=None),
                              X, Y, Xt, Yt, m.lead_groups_, cache_dir=tmp_path / "coalitions")
        res = permutation_shapley(retrain, random_state=seed, tol=0.0, max_pairs=6, min_pairs=6)
        assert res.ranking(0)[0] == "V1"
        v1 = res.values[0, LEADS.index("V1"), 0]
        assert v1 > 0.3 and v1 > 5 * np.abs(np.delete(res.values[0, :, 0], LEADS.index("V1"))).max()


def test_retrain_game_cache_is_content_addressed(tmp_path):
    X, Y = make_lead_cohort(200, n_labels=1, random_state=0)
    groups = LeadGroups.from_columns(list(X.columns))
    make = lambda leads: LeadGroupedXGBClassifier(leads=leads, n_estimators=10, early_stopping_rounds=None)  # noqa
    masks = np.eye(12, dtype=bool)[:3]
    g1 = RetrainGame(make, X.iloc[:150], Y.iloc[:150], X.iloc[150:], Y.iloc[150:], groups, cache_dir=tmp_path,
                     config={"n_estimators": 10})
    a = g1(masks)
    assert (g1.fits, g1.hits) == (3, 0)
    g2 = RetrainGame(make, X.iloc[:150], Y.iloc[:150], X.iloc[150:], Y.iloc[150:], groups, cache_dir=tmp_path,
                     config={"n_estimators": 10})
    np.testing.assert_array_equal(g2(masks), a)
    assert (g2.fits, g2.hits) == (0, 3)
    g3 = RetrainGame(make, X.iloc[:150], Y.iloc[:150], X.iloc[150:], Y.iloc[150:], groups, cache_dir=tmp_path,
                     config={"n_estimators": 11})  # another model config: another key
    g3(masks[:1])
    assert g3.fits == 1
    np.testing.assert_array_equal(g1(np.zeros((1, 12), bool))[0, 0], [0.5])  # v(no leads): chance AUROC


def test_result_conversions(model, cohort):
    X, _ = cohort
    res = exact_shapley(MaskedModelGame(model.predict_label_proba, X.iloc[:4], model.lead_groups_,
                                        outputs=model.labels_))
    exp = res.to_shap("label1")
    assert isinstance(exp, shap.Explanation) and exp.values.shape == (4, 12)
    assert list(exp.feature_names) == list(LEADS)
    frame = res.to_frame()
    assert len(frame) == 4 * 12 * 2 and set(frame.player) == set(LEADS)
    assert res.mean_abs().shape == (12, 2)
    with pytest.raises(ValueError, match="method must be"):
        lead_shapley(MaskedModelGame(model.predict_label_proba, X.iloc[:1], model.lead_groups_), "magic")


def test_best_lead_sets_find_the_planted_leads():
    from ecgfeat.importance.lead_selection import best_lead_sets

    X, Y = make_lead_cohort(600, n_labels=1, signal_leads=("V1", "II"), effect=1.5, random_state=3)
    Xt, Yt = make_lead_cohort(400, n_labels=1, signal_leads=("V1", "II"), effect=1.5, random_state=4)
    m = LeadGroupedXGBClassifier(lead_dropout=0.4, n_estimators=80).fit(X, Y)
    game = GlobalScoreGame(m.predict_label_proba, Xt, Yt, m.lead_groups_, score="auroc")
    shap_res = exact_shapley(game)
    assert set(shap_res.ranking(0)[:2]) == {"V1", "II"}
    df = best_lead_sets(game, shap_res, k_max=3, exhaustive_up_to=2)
    two = df[df.k == 2].set_index("method")
    assert set(two.loc["exhaustive", "leads"].split("+")) == {"II", "V1"}
    assert two.loc["shapley_rank", "gap_to_best"] == pytest.approx(0, abs=1e-12)
    assert (df.dropna(subset=["gap_to_best"]).gap_to_best >= -1e-12).all()  # nothing beats exhaustive


class _CountingGame(_PolynomialGame):
    """Counts how many times each coalition reaches the underlying game."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.calls: dict[int, int] = {}

    def __call__(self, masks):
        for code in coalition_codes(masks):
            self.calls[int(code)] = self.calls.get(int(code), 0) + 1
        return super().__call__(masks)


def test_cached_game_codes_round_trip_and_values_match_the_game():
    masks = np.random.default_rng(0).random((50, 12)) < 0.5
    codes = coalition_codes(masks)
    np.testing.assert_array_equal(coalition_masks(codes, 12), masks)
    assert coalition_code([f"p{i}" for i in range(12)], ["p0", "p3"]) == 0b1001
    game = _PolynomialGame(k=4)
    cached = CachedGame(game)
    np.testing.assert_array_equal(cached(masks), game(masks))
    assert cached.n_evaluations == len(np.unique(codes))


def test_one_cache_shared_by_estimators_and_lead_set_search_computes_each_coalition_once():
    """Exact, permutation, regression and the lead-set search all read through one CachedGame: the underlying game
    sees every coalition exactly once, while each estimator still counts (and budgets) its own distinct coalitions."""
    from ecgfeat.importance.lead_selection import best_lead_sets

    game = _CountingGame(n=8, k=4)
    shared = CachedGame(game)
    exact = exact_shapley(shared)
    perm = permutation_shapley(shared, random_state=0, tol=0.0, max_pairs=8, min_pairs=8, batch_pairs=8)
    reg = regression_shapley(shared, random_state=0, tol=0.0, max_evaluations=60)
    best_lead_sets(shared, exact, k_max=3, exhaustive_up_to=3)
    assert max(game.calls.values()) == 1 and len(game.calls) == 2 ** 8
    assert shared.n_evaluations == 2 ** 8
    assert perm.n_evaluations < 2 ** 8 and 58 <= reg.n_evaluations <= 60
    fresh = regression_shapley(_PolynomialGame(n=8, k=4), random_state=0, tol=0.0, max_evaluations=60)
    np.testing.assert_array_equal(reg.values, fresh.values)  # reading through a warm cache changes nothing
