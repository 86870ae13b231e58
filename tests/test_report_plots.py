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


def test_the_top_lead_is_claimed_ahead_only_over_the_leads_its_supported_orderings_cover():
    """The report's top-lead cell: P(top 1) alone overstates near-ties (bench_rank_probabilities.py), so the cell
    names the leads the top lead is not shown to be ahead of by a supported (Holm) pairwise ordering."""
    from ecgfeat.reports.study_report import top_lead_cell

    part = pd.DataFrame({"lead": ["I", "II", "aVF", "V5"], "estimate": [0.01, 0.20, 0.19, 0.05],
                         "p_top1": [0.0, 0.97, 0.03, 0.0]})
    pairs = pd.DataFrame({"more_important": ["II", "II", "aVF"], "less_important": ["I", "V5", "I"]})
    assert top_lead_cell(part, pairs) == "II (0.97; not shown ahead of aVF)"
    everything = pd.concat([pairs, pd.DataFrame({"more_important": ["II"], "less_important": ["aVF"]})])
    assert top_lead_cell(part, everything) == "II (0.97; ahead of all 3 others)"
    assert top_lead_cell(part, pairs.iloc[:0]) == "II (0.97; not shown ahead of aVF, V5, I)"
    many = pd.DataFrame({"lead": list("ABCDEFG"), "estimate": [7, 6, 5, 4, 3, 2, 1], "p_top1": [0.5] + [0.1] * 6})
    assert top_lead_cell(many, pairs.iloc[:0]) == "A (0.50; not shown ahead of B, C, D, E and 2 more)"
