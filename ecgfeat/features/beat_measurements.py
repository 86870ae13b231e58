"""Per-beat QRS, ST and T measurements of one lead, compiled with numba (the loop behind
:func:`~ecgfeat.features.lead_features.lead_features`).

Sums use NumPy's pairwise summation, reproduced step for step (:func:`pairwise_sum`), so every measurement equals
what ``ndarray.sum`` gives, bit for bit (tested against it): compiling the loop changes no feature.
"""
from __future__ import annotations

import numba
import numpy as np

from .peak_finding import count_prominent_peaks

#: columns of :func:`qrs_st_t_measurements`' result
MEASUREMENTS = ("q_amp_mv", "r_amp_mv", "s_amp_mv", "qrs_area_mvms", "qrs_abs_area_mvms", "qrs_notches",
                "qrs_p2p_mv", "st_level_mv", "t_area_mvms")

_BLOCK = 128  # NumPy's pairwise-summation block (PW_BLOCKSIZE)


@numba.njit(cache=True, nogil=True)
def _block_sum(a: np.ndarray, lo: int, n: int) -> float:
    """NumPy's sum of a[lo:lo + n] for n <= 128: sequential below 8 values, else 8 interleaved partial sums."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r = a[lo:lo + 8].copy()
    i = 8
    while i < n - (n % 8):
        for j in range(8):
            r[j] += a[lo + i + j]
        i += 8
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@numba.njit(cache=True, nogil=True)
def pairwise_sum(a: np.ndarray) -> float:
    """Sum of the 1-D array ``a`` in NumPy's order: a span of more than 128 values is split in two at a multiple
    of 8 near its middle and the halves' sums added; shorter spans by :func:`_block_sum`. Equal to ``a.sum()``
    bit for bit (for contiguous ``a``). Iterative (numba cannot cache recursive functions reliably)."""
    # post-order walk of the split tree: a task is (lo, n) to sum, or n = -1 to add the last two sums
    task_lo = np.empty(128, dtype=np.int64)
    task_n = np.empty(128, dtype=np.int64)
    sums = np.empty(64)
    n_tasks, n_sums = 1, 0
    task_lo[0], task_n[0] = 0, len(a)
    while n_tasks:
        n_tasks -= 1
        lo, n = task_lo[n_tasks], task_n[n_tasks]
        if n < 0:
            n_sums -= 1
            sums[n_sums - 1] = sums[n_sums - 1] + sums[n_sums]
        elif n <= _BLOCK:
            sums[n_sums] = _block_sum(a, lo, n)
            n_sums += 1
        else:
            half = n // 2
            half -= half % 8
            task_lo[n_tasks], task_n[n_tasks] = 0, -1  # then add the two halves
            task_lo[n_tasks + 1], task_n[n_tasks + 1] = lo + half, n - half  # second, the right half
            task_lo[n_tasks + 2], task_n[n_tasks + 2] = lo, half  # first, the left half
            n_tasks += 3
    return sums[0]


@numba.njit(cache=True, nogil=True)
def qrs_st_t_measurements(xc: np.ndarray, xs: np.ndarray, on: np.ndarray, off: np.ndarray, t_off: np.ndarray,
                          base: np.ndarray, fs: float) -> np.ndarray:
    """(n_beats, len(MEASUREMENTS)) per-beat measurements of one lead; NaN rows for beats without QRS bounds.

    ``xc`` cleaned and ``xs`` 15 Hz low-passed lead (mV, contiguous); ``on``/``off``/``t_off`` QRS onset, QRS offset
    and T offset (samples, NaN when absent); ``base`` each beat's PR level (mV); ``fs`` in Hz. Within the QRS
    (onset to offset, relative to the PR level): R = the largest value (floored at 0), Q = the lowest before it and
    S the lowest from it (capped at 0), net and absolute area (mV·ms), local extrema of prominence ≥ 0.05 mV beyond
    two (notches), peak-to-peak (mV). ST level at J + 60 ms on ``xs``; T area from J + 40 ms to T offset (mV·ms).
    Raises ValueError for a beat whose QRS offset precedes its onset."""
    n, nb = len(xc), len(on)
    to_ms = 1000.0 / fs
    out = np.full((nb, len(MEASUREMENTS)), np.nan)
    for i in range(nb):
        if not (np.isfinite(on[i]) and np.isfinite(off[i])):
            continue
        a, b = int(on[i]), int(off[i]) + 1
        if b <= a:
            raise ValueError("QRS offset before onset")
        seg = xc[a:b] - base[i]
        k = int(np.argmax(seg))
        out[i, 0] = min(seg[:k].min(), 0.0) if k > 0 else 0.0
        out[i, 1] = max(seg[k], 0.0)
        out[i, 2] = min(seg[k:].min(), 0.0)
        out[i, 3] = pairwise_sum(seg) * to_ms
        out[i, 4] = pairwise_sum(np.abs(seg)) * to_ms
        extrema = count_prominent_peaks(seg, 0.05) + count_prominent_peaks(-seg, 0.05)
        out[i, 5] = float(max(extrema - 2, 0))
        out[i, 6] = seg.max() - seg.min()
        jp = int(off[i] + 60 / to_ms)
        if jp < n:
            out[i, 7] = xs[jp] - base[i]
        t0 = int(off[i] + 40 / to_ms)
        if np.isfinite(t_off[i]) and t_off[i] > t0:
            out[i, 8] = pairwise_sum(xs[t0:int(t_off[i]) + 1] - base[i]) * to_ms
    return out
