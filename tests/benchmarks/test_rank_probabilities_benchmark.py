"""bench_rank_probabilities.py: one replication's rows and the reliability scores on hand-made rows."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import load_benchmark


def _bench():
    return load_benchmark("bench_rank_probabilities.py")


def test_a_replication_marks_one_true_top_lead_and_three_true_top_three_per_label_and_value_function():
    rows = _bench().replicate(0, 300, truth_records=3000, n_draws=50)
    per = rows.groupby(["value_function", "label"])
    assert set(rows.value_function) == {"missing", "background"} and set(rows.label) == {"redundant", "planted"}
    assert (per.true_top1.sum() == 1).all() and (per.true_top3.sum() == 3).all()
    np.testing.assert_allclose(per.p_top1.sum(), 1.0)
    np.testing.assert_allclose(per.p_top3.sum(), 3.0)
    # the planted lead is the truth's top lead for its label under both maskings
    planted = rows[(rows.label == "planted") & rows.true_top1]
    assert set(planted.lead) == {"V2"}


def test_scores_count_confident_wrong_and_dismissed_right_claims():
    bench = _bench()
    rows = pd.DataFrame({"value_function": "missing", "label": "redundant",
                         "p_top1": [0.99, 0.97, 0.96, 0.5, 0.01, 0.02],
                         "true_top1": [True, True, False, True, False, True],
                         "p_top3": [1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
                         "true_top3": [True, True, True, False, False, False]})
    s = bench.scores(rows)
    top1 = s.loc[("missing", "redundant", "top1")]
    assert top1.n_confident == 3 and np.isclose(top1.confident_wrong, 1 / 3)
    assert top1.n_dismissed == 2 and np.isclose(top1.dismissed_right, 0.5)
    p, hit = rows.p_top1.to_numpy(), rows.true_top1.to_numpy(float)
    assert np.isclose(top1.brier, np.mean((p - hit) ** 2))
    top3 = s.loc[("missing", "redundant", "top3")]
    assert top3.brier == 0 and top3.brier_skill == 1 and top3.confident_wrong == 0 and top3.dismissed_right == 0
    table = bench.reliability(rows)
    confident = table.loc[("missing", "redundant", "top1")].iloc[-1]
    assert confident.n == 3 and np.isclose(confident.observed, 2 / 3)
    assert confident.observed_low < 2 / 3 < confident.observed_high
