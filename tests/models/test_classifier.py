from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

from ecgfeat._constants import LEADS
from ecgfeat.exceptions import EcgfeatError
from ecgfeat.features.record_features import feature_columns
from ecgfeat.models.classifier import LeadGroupedXGBClassifier, best_f1_threshold
from ecgfeat.models.lead_sets import LEAD_SETS, LeadSubsetSelector, resolve_lead_set
from ecgfeat.models.synthetic import make_lead_cohort


@parametrize_with_checks([LeadGroupedXGBClassifier(n_estimators=10, threshold=0.5)])
def test_sklearn_estimator_checks(estimator, check):
    # threshold=0.5: with tuned per-label thresholds predict() is deliberately not predict_proba().round()
    check(estimator)


def test_every_parameter_is_declared_and_checked_at_fit():
    """scikit-learn's own check: _parameter_constraints covers every parameter, and a value of a wrong type or out
    of range for any of them fails fit with "The 'p' parameter of ... must be ... Got ... instead"."""
    check_param_validation("LeadGroupedXGBClassifier", LeadGroupedXGBClassifier(n_estimators=5))
    with pytest.raises(EcgfeatError, match="'subsample' parameter .* must be"):
        LeadGroupedXGBClassifier(subsample=1.5).fit(np.zeros((4, 2)), [0, 1, 0, 1])


@pytest.fixture(scope="module")
def cohort():
    X, Y = make_lead_cohort(900, n_labels=2, random_state=0)
    Xt, Yt = make_lead_cohort(600, n_labels=2, random_state=1)
    return X, Y, Xt, Yt


def test_every_catalogue_lead_set_selects_exactly_its_columns():
    cols = feature_columns(LEADS) + ["global__age_years"]
    X = pd.DataFrame(np.zeros((2, len(cols))), columns=cols)
    assert len(LEAD_SETS) == 1 + 12 + 8
    for name, leads in LEAD_SETS.items():
        sel = LeadSubsetSelector(name).fit(X)
        kept = list(sel.get_feature_names_out())
        assert kept == [c for c in cols if c.split("__")[0] in leads], name
        assert list(sel.transform(X).columns) == kept
    kept = LeadSubsetSelector(["v1", "AVR"], remainder="passthrough").fit(X).get_feature_names_out()
    assert {c.split("__")[0] for c in kept} == {"aVR", "V1", "global"}
    assert resolve_lead_set("I+II") == ("I", "II")
    with pytest.raises(ValueError, match="unknown lead 'X1'"):
        resolve_lead_set(["X1"])


def test_planted_v1_signal(cohort):
    X, Y, Xt, Yt = cohort
    auc = {}
    for name in ("12-lead", "single-V1", "single-II", "worst", "optimal"):
        m = LeadGroupedXGBClassifier(leads=name).fit(X, Y)
        p = m.predict_proba(Xt)
        auc[name] = np.mean([roc_auc_score(Yt.iloc[:, k], p[:, k]) for k in range(2)])
    assert auc["single-V1"] > 0.9 and auc["12-lead"] > 0.9 and auc["worst"] > 0.9  # 'worst' includes V1
    assert abs(auc["single-II"] - 0.5) < 0.08 and abs(auc["optimal"] - 0.5) < 0.08  # no V1: chance


def test_lead_dropout_model_survives_missing_leads(cohort):
    X, Y, Xt, Yt = cohort
    plain = LeadGroupedXGBClassifier().fit(X, Y)
    drop = LeadGroupedXGBClassifier(lead_dropout=0.5).fit(X, Y)
    only_v1 = Xt.copy()
    only_v1.loc[:, [c for c in Xt if not c.startswith("V1__")]] = np.nan
    for m in (plain, drop):
        p = m.predict_proba(only_v1)
        assert roc_auc_score(Yt.iloc[:, 0], p[:, 0]) > 0.9
    no_v1 = Xt.copy()
    no_v1.loc[:, [c for c in Xt if c.startswith("V1__")]] = np.nan
    assert abs(roc_auc_score(Yt.iloc[:, 0], drop.predict_proba(no_v1)[:, 0]) - 0.5) < 0.1


def test_save_load_round_trip_is_exact(cohort, tmp_path):
    X, Y, Xt, _ = cohort
    Y = Y.copy()
    Y.iloc[:50, 1] = np.nan  # unknown labels are allowed
    Y["never"] = 0.0  # a label without positives: constant prior
    for strategy in ("per_label", "native"):
        m = LeadGroupedXGBClassifier(leads="limb+V1", multi_strategy=strategy).fit(X, Y.fillna(0)
                                                                                   if strategy == "native" else Y)
        folder = m.save(tmp_path / strategy)
        assert not list(folder.glob("*.pkl"))
        back = LeadGroupedXGBClassifier.load(folder)
        np.testing.assert_array_equal(back.predict_proba(Xt), m.predict_proba(Xt))
        np.testing.assert_array_equal(back.predict(Xt), m.predict(Xt))
        assert back.labels_ == ["label0", "label1", "never"] and back.thresholds_ == m.thresholds_
        assert back.lead_groups_.names == ["I", "II", "III", "aVR", "aVL", "aVF", "V1"]


def test_pipeline_clone_and_grid_search(cohort):
    X, Y, _, _ = cohort
    pipe = make_pipeline(LeadSubsetSelector("precordial"), LeadGroupedXGBClassifier(n_estimators=20))
    gs = GridSearchCV(pipe, {"leadgroupedxgbclassifier__max_depth": [2, 3]}, cv=3,
                      scoring="roc_auc").fit(X, Y.iloc[:, 0])
    assert gs.best_score_ > 0.9
    c = clone(LeadGroupedXGBClassifier(leads=("V1",), lead_dropout=0.2))
    assert c.get_params()["leads"] == ("V1",) and not hasattr(c, "boosters_")


def test_best_f1_threshold():
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8, 0.9])
    t = best_f1_threshold(y, p)
    assert 0.1 < t <= 0.35  # catching all three positives (F1 = 6/7) beats 0.4 < t (F1 = 0.8)


@pytest.mark.parametrize("imbalance", ["scale_pos_weight", "none"])
def test_labels_sharing_one_training_matrix_fit_the_same_boosters(cohort, monkeypatch, imbalance):
    """Without early stopping, resampling or dropout every complete label trains on one QuantileDMatrix of X
    (sketched once); its boosters predict exactly what boosters fitted from the arrays predict, and a label with
    unknown values still trains on its known rows only."""
    import xgboost as xgb

    X, Y, Xt, _ = cohort
    Y = Y.assign(third=np.random.default_rng(0).permutation(Y.iloc[:, 0].to_numpy()))  # two complete labels
    Y.iloc[:7, 1] = np.nan  # this label is fitted from its known rows, not from the shared matrix
    kw = dict(leads="limb", n_estimators=25, early_stopping_rounds=None, imbalance=imbalance, random_state=4)
    built = []
    real = xgb.QuantileDMatrix

    def counted(*args, **kwargs):
        built.append(kwargs.get("ref"))
        return real(*args, **kwargs)
    monkeypatch.setattr(xgb, "QuantileDMatrix", counted)
    shared = LeadGroupedXGBClassifier(**kw).fit(X, Y)
    n_shared = len(built)
    monkeypatch.setattr(LeadGroupedXGBClassifier, "_trains_on_rows_as_given", lambda self: False)
    built.clear()
    separate = LeadGroupedXGBClassifier(**kw).fit(X, Y)
    assert n_shared == 1 and not built  # one matrix for the two complete labels; none built by ecgfeat otherwise
    np.testing.assert_array_equal(shared.predict_label_proba(Xt), separate.predict_label_proba(Xt))
    assert shared.best_iterations_ == separate.best_iterations_ and shared.thresholds_ == separate.thresholds_
