"""`ecg_clean`: band-pass filtering of multi-lead ECG (zero-phase Butterworth)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.signal import butter, sosfiltfilt


@lru_cache(maxsize=64)
def _butter_sos(order: int, low: float | None, high: float | None, sampling_rate: float) -> np.ndarray:
    """Second-order sections of the Butterworth design (designed once per setting: a design costs about as much
    as filtering a 10-s lead)."""
    if low and high:
        sos = butter(order, [low, high], btype="bandpass", fs=sampling_rate, output="sos")
    elif low:
        sos = butter(order, low, btype="highpass", fs=sampling_rate, output="sos")
    else:
        sos = butter(order, high, btype="lowpass", fs=sampling_rate, output="sos")
    sos.setflags(write=False)
    return sos


def bandpass(signal: np.ndarray, sampling_rate: float, low: float | None, high: float | None,
             order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth filter along axis 0; ``high`` is capped at 0.45 × ``sampling_rate`` (Hz)."""
    x = np.asarray(signal, dtype=np.float64)
    nyq = sampling_rate / 2
    if high is not None:
        high = min(high, 0.9 * nyq)
    if not (low or high):
        return x.copy()
    sos = _butter_sos(order, low or None, high, float(sampling_rate)).copy()  # scipy needs it writable
    padlen = min(x.shape[0] - 1, 3 * (2 * len(sos) + 1) * 10)
    return sosfiltfilt(sos, x, axis=0, padlen=padlen)


def ecg_clean(signal: np.ndarray, sampling_rate: float, low: float = 0.5, high: float = 40.0) -> np.ndarray:
    """Remove baseline wander (< ``low`` Hz) and high-frequency noise (> ``high`` Hz).

    Parameters
    ----------
    signal : ndarray of shape (n_samples,) or (n_samples, n_leads), in mV
    sampling_rate : float, in Hz

    Returns
    -------
    ndarray of the same shape, float64, in mV. NaN samples must be handled before (see
    :func:`ecgfeat.features.ecg_delineate.lead_usable`).
    """
    return bandpass(signal, sampling_rate, low, high)
