"""Local maxima, prominence and width of peaks in short 1-D segments, compiled with numba.

The delineator looks for the P and T waves in one short window per beat, tens of thousands of windows per
record set; ``scipy.signal.find_peaks`` costs ~30 µs of Python overhead per call, more than the search itself.
These functions follow ``find_peaks``' definitions exactly (tested against it), so results do not change:

- a local maximum is a sample, or a plateau of equal samples, with a smaller sample on each side; a plateau's
  position is its middle sample, rounded down; the first and last samples are never maxima;
- a peak's prominence is its height above the higher of the two lowest points reached on each side before a
  higher sample or the segment's end (SciPy's ``peak_prominences`` without ``wlen``);
- its width (samples) is measured at ``rel_height`` of the prominence below the peak, between the interpolated
  crossings of that level, each searched no further than the base on its side (SciPy's ``peak_widths``).

numba is already installed with shap; ``cache=True`` stores the compiled code beside the module (or in numba's
user cache when the package folder is read-only), so only a first call ever compiles (a few seconds).
"""
from __future__ import annotations

import numba
import numpy as np

__all__ = ["local_maxima", "peak_prominence", "peak_width", "most_prominent_peak", "count_prominent_peaks"]


@numba.njit(cache=True, nogil=True)
def local_maxima(x: np.ndarray) -> np.ndarray:
    """Positions (int64) of the local maxima of ``x``, in order (module docstring)."""
    out = np.empty(max(0, len(x) // 2), dtype=np.int64)
    m = 0
    last = len(x) - 1
    i = 1
    while i < last:
        if x[i - 1] < x[i]:
            j = i + 1
            while j < last and x[j] == x[i]:
                j += 1
            if x[j] < x[i]:
                out[m] = (i + j - 1) // 2
                m += 1
                i = j
        i += 1
    return out[:m]


@numba.njit(cache=True, nogil=True)
def peak_prominence(x: np.ndarray, peak: int) -> tuple[float, int, int]:
    """(prominence, left base, right base) of the peak at ``peak`` over the whole of ``x``."""
    top = x[peak]
    left_min, left_base = top, peak
    i = peak
    while i >= 0 and x[i] <= top:
        if x[i] < left_min:
            left_min, left_base = x[i], i
        i -= 1
    right_min, right_base = top, peak
    i = peak
    while i < len(x) and x[i] <= top:
        if x[i] < right_min:
            right_min, right_base = x[i], i
        i += 1
    return top - max(left_min, right_min), left_base, right_base


@numba.njit(cache=True, nogil=True)
def peak_width(x: np.ndarray, peak: int, prominence: float, left_base: int, right_base: int,
               rel_height: float = 0.5) -> float:
    """Width (samples, interpolated) of the peak at ``peak`` at ``rel_height`` × ``prominence`` below its top."""
    level = x[peak] - prominence * rel_height
    i = peak
    while left_base < i and level < x[i]:
        i -= 1
    left = float(i)
    if x[i] < level and x[i + 1] != x[i]:
        left += (level - x[i]) / (x[i + 1] - x[i])
    i = peak
    while i < right_base and level < x[i]:
        i += 1
    right = float(i)
    if x[i] < level and x[i - 1] != x[i]:
        right -= (level - x[i]) / (x[i - 1] - x[i])
    return right - left


@numba.njit(cache=True, nogil=True)
def most_prominent_peak(x: np.ndarray, min_width: float) -> tuple[int, float]:
    """(position, prominence) of the most prominent local maximum of ``x`` whose width at half prominence is at
    least ``min_width`` samples (the first of equals), or (-1, nan) if there is none: ``find_peaks(x,
    prominence=0, width=min_width)`` followed by the argmax of the prominences."""
    best, best_prominence = -1, np.nan
    for p in local_maxima(x):
        prominence, left_base, right_base = peak_prominence(x, p)
        if peak_width(x, p, prominence, left_base, right_base, 0.5) < min_width:
            continue
        if best < 0 or prominence > best_prominence:
            best, best_prominence = p, prominence
    return best, best_prominence


@numba.njit(cache=True, nogil=True)
def count_prominent_peaks(x: np.ndarray, min_prominence: float) -> int:
    """Number of local maxima of ``x`` with a prominence of at least ``min_prominence``: ``len(find_peaks(x,
    prominence=min_prominence)[0])``."""
    count = 0
    for p in local_maxima(x):
        if peak_prominence(x, p)[0] >= min_prominence:
            count += 1
    return count
