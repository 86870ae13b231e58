from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecgfeat.models.metrics import (auprc, auroc, challenge_score, challenge_score_for_label_set, evaluate_labels, f1,
                                    modified_confusion_matrix, read_challenge_weights)


def test_challenge_metric_hand_worked():
    # classes A, B, NSR; A and B half-rewarded when confused
    w = np.array([[1, 0.5, 0], [0.5, 1, 0], [0, 0, 1.0]])
    labels = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], bool)
    outputs = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 1]], bool)
    a = modified_confusion_matrix(labels, outputs)
    np.testing.assert_allclose(a, [[1, 0, 0], [0.5, 0, 0], [0, 0.5, 0.5]])
    # observed 1 + 0.25 + 0.5 = 1.75; correct 3; inactive (all NSR) 1 -> (1.75 - 1) / (3 - 1)
    assert challenge_score(labels, outputs, w, normal_index=2) == pytest.approx(0.375)
    assert challenge_score(labels, labels, w, 2) == 1.0
    assert challenge_score(labels, np.array([[0, 0, 1]] * 3, bool), w, 2) == 0.0


def test_challenge_metric_on_label_set(cinc_ref_dir):
    from ecgfeat.records import LabelTable

    classes, w = read_challenge_weights(cinc_ref_dir / "weights.csv")
    assert len(classes) == 26 and np.allclose(w, w.T) and np.allclose(np.diag(w), 1)
    labels = LabelTable.load().labels("cinc2021")
    y = pd.DataFrame(np.zeros((4, len(labels))), columns=labels)
    y.loc[0, "AF"] = 1
    y.loc[1, "CRBBB|RBBB"] = 1
    y.loc[2, "NSR"] = 1
    y.loc[3, ["NSR", "SB"]] = 1
    assert challenge_score_for_label_set(y, y.to_numpy() > 0, cinc_ref_dir / "weights.csv") == pytest.approx(1.0)
    pred = y.to_numpy().copy()
    pred[0] = 0
    pred[0, labels.index("AFL")] = 1  # AF called AFL: weight 0.5 in the table
    s = challenge_score_for_label_set(y, pred > 0, cinc_ref_dir / "weights.csv")
    af, afl = classes.index("164889003"), classes.index("164890007")
    assert w[af, afl] == 0.5
    # each record spreads weight 1/|labels ∪ outputs|; record 3 has two labels (NSR, SB)
    nsr, sb = classes.index("426783006"), classes.index("426177001")
    rbbb = classes.index("713427006|59118001")
    correct = 1 + 1 + 1 + (0.5 + 0.5 + 0.5 * w[nsr, sb] + 0.5 * w[sb, nsr])
    observed = 0.5 * w[af, afl] + 1 + 1 + (0.5 + 0.5 + 0.5 * w[nsr, sb] + 0.5 * w[sb, nsr])
    inactive = 0.5 * w[af, nsr] + 0.5 * w[rbbb, nsr] + 1 + (0.5 + 0.5 * w[sb, nsr])
    assert s == pytest.approx((observed - inactive) / (correct - inactive))


def test_fast_metrics_match_scikit_learn():
    from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

    from ecgfeat.models.metrics import auprc, auroc, f1

    rng = np.random.default_rng(3)
    for _ in range(20):
        y = rng.integers(0, 2, 60)
        p = np.round(rng.random(60), 1)  # many ties
        h = rng.integers(0, 2, 60)
        assert auroc(y, p) == pytest.approx(roc_auc_score(y, p))
        assert auprc(y, p) == pytest.approx(average_precision_score(y, p))
        assert f1(y, h) == pytest.approx(f1_score(y, h))


def test_evaluate_labels_scores_only_labels_with_enough_positives():
    rng = np.random.default_rng(0)
    y = np.zeros((200, 3))
    y[:60, 0] = 1
    y[:3, 1] = 1  # too few positives
    y[:, 2] = np.nan
    y[:100, 2] = rng.integers(0, 2, 100)
    p = np.clip(y[:, [0, 0, 0]] * 0.6 + rng.random((200, 3)) * 0.5, 0, 1)
    p[:, 2] = rng.random(200)
    res = evaluate_labels(y, p, labels=["a", "b", "c"], n_boot=200).set_index("label")
    assert bool(res.loc["a", "scored"]) and not bool(res.loc["b", "scored"]) and bool(res.loc["c", "scored"])
    assert res.loc["a", "auroc"] > 0.95
    assert res.loc["a", "auroc_lo"] <= res.loc["a", "auroc"] <= res.loc["a", "auroc_hi"]
    assert res.loc["c", "n"] == 100  # NaN labels are unknown, not negative
    assert res.loc["macro", "auroc"] == pytest.approx((res.loc["a", "auroc"] + res.loc["c", "auroc"]) / 2)


def test_evaluate_labels_bootstrap_equals_scoring_each_resampled_set():
    """The bootstrap scores each replicate from counts over records sorted once; every replicate's AUROC, AUPRC
    and F1 equal scoring the resampled records themselves (ties in the scores, unknown labels, a replicate batch
    boundary, a label so rare that some replicates hold no positive)."""
    rng = np.random.default_rng(3)
    n, n_boot = 120, 73
    y = (rng.random((n, 2)) < [0.3, 0.0]).astype(float)
    y[[5, 50, 90], 1] = 1  # 3 positives: about 5 % of replicates draw none
    y[rng.random(n) < 0.2, 0] = np.nan
    p = np.round(rng.random((n, 2)) * 0.5 + 0.4 * np.nan_to_num(y), 1)  # coarse: many tied scores
    hard = (p >= 0.5).astype(float)
    res = evaluate_labels(y, p, labels=["a", "rare"], n_boot=n_boot, min_positives=3, random_state=11)
    draw = np.random.default_rng(11)
    expected = np.full((n_boot, 2, 3), np.nan)
    for b in range(n_boot):
        s = draw.integers(0, n, n)
        for k in range(2):
            keep = ~np.isnan(y[s, k])
            ys, ps, hs = y[s, k][keep], p[s, k][keep], hard[s, k][keep]
            if 0 < ys.sum() < len(ys):
                expected[b, k] = auroc(ys, ps), auprc(ys, ps), f1(ys, hs)
    assert np.isnan(expected[:, 1, 0]).any()  # the rare label really lacks positives in some replicates
    for k, lab in enumerate(["a", "rare"]):
        row = res.set_index("label").loc[lab]
        for m, name in enumerate(["auroc", "auprc", "f1"]):
            lo, hi = np.nanpercentile(expected[:, k, m], [2.5, 97.5])
            assert row[f"{name}_lo"] == pytest.approx(lo, abs=1e-12) and row[f"{name}_hi"] == pytest.approx(hi, abs=1e-12)
    macro_lo, macro_hi = np.nanpercentile(np.nanmean(expected, axis=1), [2.5, 97.5], axis=0)[:, 0]
    macro = res.set_index("label").loc["macro"]
    assert macro["auroc_lo"] == pytest.approx(macro_lo, abs=1e-12) and macro["auroc_hi"] == pytest.approx(macro_hi, abs=1e-12)


def test_evaluate_labels_without_bootstrap_gives_point_estimates_and_no_interval():
    """n_boot=0 is a valid study setting (the configuration allows it): point metrics, NaN intervals, no crash."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, (60, 2)).astype(float)
    p = np.clip(y * 0.6 + rng.random((60, 2)) * 0.5, 0, 1)
    res = evaluate_labels(y, p, labels=["A", "B"], min_positives=5, n_boot=0).set_index("label")
    with_boot = evaluate_labels(y, p, labels=["A", "B"], min_positives=5, n_boot=50).set_index("label")
    for col in ("auroc", "auprc", "f1"):
        np.testing.assert_allclose(res[col].to_numpy(float), with_boot[col].to_numpy(float))
        assert res[f"{col}_lo"].isna().all() and res[f"{col}_hi"].isna().all()
