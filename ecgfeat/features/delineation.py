"""What a delineation is: the fiducial points of every lead of one record (:class:`Delineation`, whichever method
found them; see :func:`ecgfeat.features.ecg_delineate.ecg_delineate` for the methods), and which leads can be
delineated at all (:func:`lead_usable`)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Fiducial points per beat, in this column order.
POINTS = ("r", "qrs_on", "qrs_off", "p_on", "p_peak", "p_off", "t_peak", "t_off")


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
        n = self.n_beats[j]
        return {name: self.points[j, :n, k] for k, name in enumerate(POINTS)}


def lead_usable(x: np.ndarray) -> bool:
    """False for leads that are all-NaN, mostly NaN or flat."""
    finite = np.isfinite(x)
    if finite.mean() < 0.9:
        return False
    return float(np.nanstd(x)) > 1e-4
