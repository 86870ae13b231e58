"""Named lead sets and `LeadSubsetSelector`, a transformer that keeps the feature columns of chosen leads."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._constants import LEADS, LIMB_LEADS, PRECORDIAL_LEADS, canonical_lead
from ..features.lead_groups import LeadGroups

#: The catalogue of lead sets compared in the reference study and the CinC-2021 challenge.
LEAD_SETS: dict[str, tuple[str, ...]] = {
    "12-lead": LEADS,
    **{f"single-{lead}": (lead,) for lead in LEADS},
    "limb": LIMB_LEADS,
    "precordial": PRECORDIAL_LEADS,
    "optimal": ("I", "II", "aVR", "V4", "V5", "V6"),
    "worst": ("III", "aVL", "aVF", "V1", "V2", "V3"),
    "cinc-6": ("I", "II", "III", "aVR", "aVL", "aVF"),
    "cinc-4": ("I", "II", "III", "V2"),
    "cinc-3": ("I", "II", "V2"),
    "cinc-2": ("I", "II"),
}


def resolve_lead_set(leads: str | Sequence[str]) -> tuple[str, ...]:
    """A catalogue name (``'limb'``), a list of lead names, or both joined by '+' (``'limb+V1'``) → canonical
    leads in canonical order."""
    if isinstance(leads, str):
        if leads in LEAD_SETS:
            return LEAD_SETS[leads]
        leads = [p.strip() for p in leads.replace("+", ",").split(",") if p.strip()]
    expanded: list[str] = []
    for part in leads:  # names of catalogue sets may be combined: "limb+V1"
        expanded.extend(LEAD_SETS.get(part, (part,)))
    canon = []
    for lead in expanded:
        c = canonical_lead(lead)
        if c is None:
            raise ValueError(f"unknown lead {lead!r}; expected I–III, aVR, aVL, aVF, V1–V6 or a lead-set name "
                             f"from {sorted(LEAD_SETS)}")
        canon.append(c)
    if not canon:
        raise ValueError("a lead set needs at least one lead")
    return tuple(lead for lead in LEADS if lead in set(canon))


class LeadSubsetSelector(TransformerMixin, BaseEstimator):
    """Keep only the columns of ``leads`` (a catalogue name or lead list); columns are ``"{lead}__{feature}"``.

    ``remainder='drop'`` drops non-lead columns (age, sex); ``'passthrough'`` keeps them.
    """

    def __init__(self, leads: str | Sequence[str] = "12-lead", remainder: str = "drop"):
        self.leads = leads
        self.remainder = remainder

    def fit(self, X, y=None):
        if self.remainder not in ("drop", "passthrough"):
            raise ValueError(f"The 'remainder' parameter of LeadSubsetSelector must be 'drop' or 'passthrough'. "
                             f"Got {self.remainder!r} instead.")
        columns = list(getattr(X, "columns", []))
        if not columns:
            raise ValueError("LeadSubsetSelector needs a DataFrame with '{lead}__{feature}' column names")
        self.leads_ = resolve_lead_set(self.leads)
        groups = LeadGroups.from_columns(columns, remainder="group")
        missing = [lead for lead in self.leads_ if lead not in groups.names]
        if missing:
            raise ValueError(f"leads {missing} have no columns in X")
        keep = list(self.leads_) + (["global"] if self.remainder == "passthrough" and "global" in groups.names
                                    else [])
        self.feature_names_in_ = np.asarray(columns, dtype=object)
        self.support_ = groups.column_mask(keep)
        return self

    def transform(self, X):
        check_is_fitted(self, "support_")
        if list(X.columns) != list(self.feature_names_in_):
            raise ValueError("X has different columns from those seen in fit")
        return X.loc[:, self.support_]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.feature_names_in_[self.support_]
