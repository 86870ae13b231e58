"""NeuroKit2's delineators (``nk.ecg_delineate`` methods 'dwt', 'peak', 'prominence', 'cwt') as ecgfeat delineation
methods: each usable lead is cleaned (``nk.ecg_clean``), its R peaks found (``nk.ecg_peaks``) and delineated on its
own. Registered in :data:`ecgfeat.features.ecg_delineate.DELINEATION_METHODS`."""
from __future__ import annotations

import warnings

import numpy as np

from .delineation import POINTS, Delineation, lead_usable
from .ecg_clean import bandpass, ecg_clean

NEUROKIT_METHODS = ("dwt", "peak", "prominence", "cwt")

#: ecgfeat fiducial name → NeuroKit2 ``ecg_delineate`` key
NEUROKIT_KEYS = {"qrs_on": "ECG_R_Onsets", "qrs_off": "ECG_R_Offsets", "p_on": "ECG_P_Onsets", "p_peak": "ECG_P_Peaks",
                 "p_off": "ECG_P_Offsets", "t_peak": "ECG_T_Peaks", "t_off": "ECG_T_Offsets", "t_on": "ECG_T_Onsets",
                 "s_peak": "ECG_S_Peaks"}


_BEFORE_R = {"p_on", "p_peak", "p_off", "qrs_on"}


def _per_beat(values: np.ndarray, r: np.ndarray, before_r: bool) -> np.ndarray:
    """One value per R peak. NeuroKit2 returns one per beat for most methods, but 'cwt' returns P and T waves for
    fewer beats: a point before its R (P, QRS onset) goes to the next R peak, a point after it (QRS offset, T) to
    the previous one; a point with no such R peak, or a second one for the same beat, is dropped."""
    if len(values) == len(r):
        return values
    out = np.full(len(r), np.nan)
    for v in values[np.isfinite(values)]:
        i = int(np.searchsorted(r, v, side="left")) if before_r else int(np.searchsorted(r, v, side="right")) - 1
        if 0 <= i < len(r) and np.isnan(out[i]):
            out[i] = v
    return out


def _neurokit_lead(x: np.ndarray, fs: float, method: str) -> np.ndarray:
    """(n_beats, len(POINTS)) fiducial sample indices of one lead; no beats if NeuroKit2 fails on it."""
    import neurokit2 as nk  # lazy: a 1-3 s import, needed only by these methods

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            clean = nk.ecg_clean(x, sampling_rate=fs)
            _, info = nk.ecg_peaks(clean, sampling_rate=fs)
            r = np.asarray(info["ECG_R_Peaks"], float)
            pts = np.full((len(r), len(POINTS)), np.nan)
            pts[:, POINTS.index("qrs_peak")] = r  # NeuroKit2's R peak is both the beat's anchor and its R peak
            pts[:, POINTS.index("r_peak")] = r
            if len(r) >= 2:
                _, waves = nk.ecg_delineate(clean, info["ECG_R_Peaks"], sampling_rate=fs, method=method)
                for k, name in enumerate(POINTS):
                    key = NEUROKIT_KEYS.get(name)
                    if key in waves:
                        pts[:, k] = _per_beat(np.asarray(waves[key], float), r, before_r=name in _BEFORE_R)
        except (ValueError, IndexError, ZeroDivisionError, TypeError, KeyError):  # NeuroKit2 fails on some leads
            return np.zeros((0, len(POINTS)))
    return pts


def delineate_neurokit(signal: np.ndarray, sampling_rate: float, method: str = "dwt") -> Delineation:
    """Delineate every lead of ``signal`` (n_samples, n_leads), in mV at ``sampling_rate`` Hz, with NeuroKit2's
    ``method``; unusable leads (:func:`lead_usable`) and leads NeuroKit2 fails on get no beats. The PR-segment
    baseline of each beat is the median of the 15 Hz low-passed lead in the 20 ms before QRS onset."""
    if method not in NEUROKIT_METHODS:
        raise ValueError(f"NeuroKit2 delineation method must be one of {list(NEUROKIT_METHODS)}, got {method!r}")
    fs = float(sampling_rate)
    signal = np.asarray(signal, dtype=np.float64).reshape(len(signal), -1)
    cleaned = ecg_clean(np.where(np.isfinite(signal), signal, 0.0), fs)
    smooth = bandpass(cleaned, fs, None, 15.0)
    per_lead = [_neurokit_lead(signal[:, j], fs, method) if lead_usable(signal[:, j]) else
                np.zeros((0, len(POINTS))) for j in range(signal.shape[1])]
    nb = max((len(p) for p in per_lead), default=0)
    points = np.full((signal.shape[1], nb, len(POINTS)), np.nan)
    baseline = np.full((signal.shape[1], nb), np.nan)
    ms = fs / 1000
    for j, p in enumerate(per_lead):
        points[j, : len(p)] = p
        for i in range(len(p)):
            o = p[i, 1] if np.isfinite(p[i, 1]) else p[i, 0] - 40 * ms
            a, b = int(max(0, o - 20 * ms)), int(max(1, o))
            baseline[j, i] = float(np.median(smooth[a:b + 1, j]))
    return Delineation(points, np.array([len(p) for p in per_lead]), baseline, cleaned, smooth, fs)
