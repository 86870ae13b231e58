"""Canonical lead names, lead-name aliases and unit conversions (stdlib only)."""
from __future__ import annotations

#: The 12 standard leads, in the order every ecgfeat table uses.
LEADS: tuple[str, ...] = ("I", "II", "III", "aVR", "aVL", "aVF",
                          "V1", "V2", "V3", "V4", "V5", "V6")

LIMB_LEADS: tuple[str, ...] = LEADS[:6]
PRECORDIAL_LEADS: tuple[str, ...] = LEADS[6:]

_LEAD_BY_KEY = {name.lower(): name for name in LEADS}

#: Factor that turns a header's physical unit into millivolts.
UNIT_TO_MV: dict[str, float] = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3}


def canonical_lead(name: str) -> str | None:
    """Return the canonical spelling of a lead name (``'AVR'``, ``'avr'`` → ``'aVR'``), or None.

    Accepts the spellings found in WFDB headers of PTB-XL, CinC, LUDB and ecg-arrhythmia,
    with optional surrounding blanks and an optional ``lead`` prefix (``'Lead II'``).
    """
    key = name.strip().lower().replace(" ", "")
    if key.startswith("lead"):
        key = key[4:]
    return _LEAD_BY_KEY.get(key)
