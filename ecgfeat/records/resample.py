"""Resampling of multi-lead signals to a requested rate (polyphase, anti-aliased)."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly


def resample_signal(signal: np.ndarray, sampling_rate: float, target_rate: float) -> np.ndarray:
    """Resample ``signal`` (n_samples, n_leads) from ``sampling_rate`` to ``target_rate`` (both in Hz).

    Uses :func:`scipy.signal.resample_poly` with the exact rational ratio ``target/source`` (limited to a
    denominator of 1000): a Kaiser-windowed FIR low-pass at the lower Nyquist frequency removes content that
    would alias. The output has ``round(n_samples * target / source)`` samples and the input dtype.
    NaN samples propagate into their neighbourhood (filter length); clean them first.
    """
    if sampling_rate <= 0 or target_rate <= 0:
        raise ValueError(f"sampling rates must be positive, got {sampling_rate} -> {target_rate} Hz")
    x = np.asarray(signal)
    if sampling_rate == target_rate:
        return x.copy()
    ratio = Fraction(target_rate / sampling_rate).limit_denominator(1000)
    y = resample_poly(x.astype(np.float64), ratio.numerator, ratio.denominator, axis=0)
    n_out = int(round(x.shape[0] * target_rate / sampling_rate))
    return y[:n_out].astype(x.dtype, copy=False)
