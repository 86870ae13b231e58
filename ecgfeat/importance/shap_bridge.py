"""Interoperability with the ``shap`` package.

* :class:`LeadMasker` - a shap ``Masker`` whose features are lead groups: shap's ``ExactExplainer`` and
  ``PermutationExplainer`` then explain leads, removing a whole lead at a time (set to missing, or taken from
  background rows), exactly the game of :class:`~ecgfeat.importance.games.MaskedModelGame`.
* :func:`grouped_tree_shap` - per-feature TreeSHAP values summed over each lead's columns. For a model without
  interactions across leads this equals the lead Shapley value; when leads interact it is a different quantity
  (an Owen-style aggregation of feature attributions), not the Shapley value of the lead as a player.
"""
from __future__ import annotations

import numpy as np
import shap

from ..features.lead_groups import LeadGroups


class LeadMasker(shap.maskers.Masker):
    """Mask over lead groups: a False entry removes every column of that lead.

    background : None → absent columns become NaN (one row per mask); (n_bg, n_columns) → absent columns come
        from each background row (n_bg rows per mask; shap averages the model outputs over them).
    """

    def __init__(self, groups: LeadGroups, background: np.ndarray | None = None):
        self.groups = groups
        self.member = groups.group_matrix().astype(bool)
        self.background = None if background is None else np.asarray(background, dtype=np.float64)
        self.shape = (1 if background is None else len(self.background), len(groups))
        self.clustering = None
        self.feature_names = groups.names

    def mask_shapes(self, *args):
        """shap reshapes attributions by this: one entry per lead group, not per column."""
        return [(len(self.groups),)]

    def __call__(self, mask, x):
        mask = self._standardize_mask(mask, x)
        cols = np.asarray(mask, dtype=bool) @ self.member
        x = np.asarray(x, dtype=np.float64).reshape(1, -1)
        if self.background is None:
            return (np.where(cols, x, np.nan),)
        return (np.where(cols, x, self.background),)


def grouped_tree_shap(model, X: np.ndarray, groups: LeadGroups, background: np.ndarray | None = None,
                      ) -> np.ndarray:
    """(n_rows, n_groups) sums of per-feature TreeSHAP values (raw margin) over each group's columns.

    ``model`` is an XGBoost booster or sklearn-API model; with ``background`` TreeSHAP is interventional over
    it, otherwise tree-path-dependent.
    """
    kwargs = {"feature_perturbation": "interventional", "data": background} if background is not None else {}
    phi = shap.TreeExplainer(model, model_output="raw", **kwargs).shap_values(np.asarray(X, dtype=np.float64))
    phi = np.asarray(phi)
    return phi @ groups.group_matrix().T.astype(np.float64)
