"""Report figures on edge-case tables (the study's own tables at their smallest settings)."""
from __future__ import annotations

import warnings

import pandas as pd

from ecgfeat.reports import plots


def test_performance_vs_k_with_one_lead_set_size_draws_without_warnings():
    """k_max = 1 leaves one row per method: its error bars were passed to matplotlib as one-element Series, which
    pandas deprecates (a TypeError to come)."""
    rows = [{"label": "SR", "method": m, "k": 1, "value": 0.8, "ci_low": 0.7, "ci_high": 0.9, "n_pos_heldout": 30,
             "n_neg_heldout": 70} for m in ("shapley_rank", "greedy_forward", "exhaustive")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plots.performance_vs_k(pd.DataFrame(rows), "AUROC vs number of leads")
    assert len(fig.axes[0].lines) + len(fig.axes[0].containers) >= 3
