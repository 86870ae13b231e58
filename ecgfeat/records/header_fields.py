"""Parsers for the ``#Age``, ``#Sex`` and ``#Dx`` header comment fields."""
from __future__ import annotations

import math
import re
import warnings

from ..exceptions import LabelMappingWarning

_CODE_RE = re.compile(r"^\d+$")


def parse_age(value: str | None) -> float | None:
    """Age in years, or None for missing/NaN/unparseable values."""
    if value is None:
        return None
    try:
        age = float(value.strip())
    except ValueError:
        return None
    return None if math.isnan(age) or age < 0 else age


def parse_sex(value: str | None) -> str | None:
    """'F', 'M' or None. Accepts Female/Male/F/M/0/1 (PTB-XL: 0 = male, 1 = female)."""
    if value is None:
        return None
    v = str(value).strip().lower()
    if v in {"female", "f", "1", "1.0"}:
        return "F"
    if v in {"male", "m", "0", "0.0"}:
        return "M"
    return None


def parse_dx(value: str, record: str) -> list[str]:
    """Split a ``#Dx`` line into SNOMED-CT codes.

    Empty entries (``427084000,,427172004``) are dropped with a :class:`LabelMappingWarning`;
    non-numeric entries are kept out and reported, never passed on as codes.
    """
    codes: list[str] = []
    parts = [p.strip() for p in value.split(",")] if value.strip() else []
    empty = sum(1 for p in parts if not p)
    bad = [p for p in parts if p and not _CODE_RE.match(p)]
    if empty:
        warnings.warn(f"Record '{record}': #Dx has {empty} empty entr{'y' if empty == 1 else 'ies'} "
                      f"({value!r}); dropped", LabelMappingWarning, stacklevel=2)
    if bad:
        warnings.warn(f"Record '{record}': #Dx has non-numeric entries {bad}; dropped",
                      LabelMappingWarning, stacklevel=2)
    for p in parts:
        if p and _CODE_RE.match(p) and p not in codes:
            codes.append(p)
    return codes
