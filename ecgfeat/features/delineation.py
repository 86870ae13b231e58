"""What a delineation is: the fiducial points of every lead of one record (:class:`Delineation`, whichever method
found them; see :func:`ecgfeat.features.ecg_delineate.ecg_delineate` for the methods), and which leads can be
delineated at all (:func:`lead_usable`)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Fiducial points per beat, in this column order. ``qrs_peak`` is the beat's anchor: for ecgfeat the QRS complex's
#: largest deflection from the PR level (positive or negative), for NeuroKit2 its R peak. ``r_peak`` and
#: ``s_peak`` follow the clinical definitions: the R wave is the first positive deflection of the QRS complex, the S
#: wave the first negative deflection after it; absent (NaN) when the complex has no such wave (a QS complex has
#: neither).
POINTS = ("qrs_peak", "qrs_on", "qrs_off", "p_on", "p_peak", "p_off", "t_peak", "t_off", "t_on", "r_peak", "s_peak")


@dataclass(frozen=True)
class Delineation:
    """Fiducial points of one record.

    points : ndarray of shape (n_leads, n_beats_max, len(POINTS)), float sample indices, NaN when absent
    n_beats : ndarray of shape (n_leads,), beats found per lead
    baseline : ndarray (n_leads, n_beats_max), PR-segment level per beat, in mV
    cleaned, smooth : (n_samples, n_leads) 0.5–40 Hz cleaned and 15 Hz low-passed signals, in mV
    """

    points: np.ndarray
    n_beats: np.ndarray
    baseline: np.ndarray
    cleaned: np.ndarray
    smooth: np.ndarray
    sampling_rate: float

    def lead(self, j: int) -> dict[str, np.ndarray]:
        """Fiducial name → sample index of each beat of lead ``j`` (float, NaN when absent)."""
        n = self.n_beats[j]
        return {name: self.points[j, :n, k] for k, name in enumerate(POINTS)}

    def amplitude_mv(self, j: int, name: str, signal: str = "cleaned") -> np.ndarray:
        """Amplitude (mV) at fiducial ``name`` of each beat of lead ``j``, from that beat's PR-segment level: the
        ``cleaned`` signal's value (R and S amplitudes) or the ``smooth`` one's (P and T amplitudes). NaN where
        the point is absent."""
        if name not in POINTS:
            raise ValueError(f"fiducial must be one of {list(POINTS)}, got {name!r}")
        if signal not in ("cleaned", "smooth"):
            raise ValueError(f"signal must be 'cleaned' or 'smooth', got {signal!r}")
        x = (self.cleaned if signal == "cleaned" else self.smooth)[:, j]
        at = self.lead(j)[name]
        ok = np.isfinite(at)
        out = np.full(len(at), np.nan)
        out[ok] = x[at[ok].astype(int)] - self.baseline[j, : len(at)][ok]
        return out


def lead_usable(x: np.ndarray) -> bool:
    """False for leads that are all-NaN, mostly NaN or flat."""
    finite = np.isfinite(x)
    if finite.mean() < 0.9:
        return False
    return float(np.nanstd(x)) > 1e-4
