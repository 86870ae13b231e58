"""LeadGroups over named feature columns and over unnamed signal blocks."""
from __future__ import annotations

import numpy as np
import pytest

from ecgfeat._constants import LEADS
from ecgfeat.features.lead_groups import LeadGroups
from ecgfeat.models.deep import signal_lead_groups


def test_blocks_index_like_the_named_columns_they_replace():
    """A flattened (n, 12, T) signal: lead k owns columns k·T … (k+1)·T − 1, as the old fake names did."""
    blocks = signal_lead_groups(7)
    named = LeadGroups.from_columns([f"{lead}__t{t}" for lead in LEADS for t in range(7)])
    assert blocks.names == named.names and blocks.n_columns == named.n_columns == 84
    np.testing.assert_array_equal(blocks.group_matrix(), named.group_matrix())
    for present in (["V1"], ["I", "aVF", "V6"], [True] * 6 + [False] * 6):
        np.testing.assert_array_equal(blocks.column_mask(present), named.column_mask(present))
    with pytest.raises(ValueError, match="unnamed columns"):
        blocks.columns_of("V1")
    with pytest.raises(ValueError, match="block_size"):
        LeadGroups.from_blocks(LEADS, 0)


def test_subset_reindexes_named_and_block_groups():
    cols = ["V1__a", "I__a", "age", "V1__b", "II__a"]
    groups = LeadGroups.from_columns(cols, remainder="group")
    sub = groups.subset(["V1", "global"])
    assert sub == LeadGroups.from_columns(["V1__a", "age", "V1__b"], remainder="group")
    assert sub.columns_of("V1") == ["V1__a", "V1__b"] and sub.columns_of("global") == ["age"]
    blocks = LeadGroups.from_blocks(["I", "II", "V1"], 3).subset(["V1", "I"])
    assert blocks.names == ["I", "V1"] and blocks.n_columns == 6
    np.testing.assert_array_equal(blocks.indices("V1"), [3, 4, 5])
