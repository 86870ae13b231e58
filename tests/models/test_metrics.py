from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecgfeat.models.metrics import (challenge_score, challenge_score_for_label_set, evaluate_labels,
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
