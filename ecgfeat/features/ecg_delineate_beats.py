"""The per-beat steps of ecgfeat's delineator (:mod:`ecgfeat.features.ecg_delineate`, steps 2–5), compiled with numba.

Each function walks the beats of one lead. Positions are sample indices into the lead; ``ms`` is samples per
millisecond. The methods are described in the delineator's module docstring; these loops are its only
implementation (the Python loops they replaced gave the same points on every record of the shared sample and LUDB,
``tests/features/test_ecg_delineate_beats.py`` checks the pieces against their definitions).
"""
from __future__ import annotations

import numba
import numpy as np

from .peak_finding import local_maxima, most_prominent_peak, peak_prominence

# column of each point in a beat's row (the order of ecgfeat.features.delineation.POINTS)
QRS_PEAK, QRS_ON, QRS_OFF, P_ON, P_PEAK, P_OFF, T_PEAK, T_OFF, T_ON, R_PEAK, S_PEAK = range(11)


@numba.njit(cache=True, nogil=True)
def nearest(x: float) -> int:
    """The nearest whole sample to ``x`` (≥ 0; halves up): truncating would shorten every window by up to a
    sample, most at low sampling rates (a 15 ms window is 3 samples, 12 ms, at 250 Hz)."""
    return int(np.floor(x + 0.5))


@numba.njit(cache=True, nogil=True)
def samples(duration_ms: float, ms: float) -> int:
    """A duration (ms, ≥ 0) in the nearest whole number of samples."""
    return nearest(duration_ms * ms)


@numba.njit(cache=True, nogil=True)
def _steepest(x: np.ndarray, a: int, b: int, sign: float) -> int:
    """Index in [a, b] where ``sign`` × the slope of ``x`` is largest (the first of equals): central differences
    inside the segment x[a:b + 1], one-sided at its ends (``np.gradient`` of the segment); ``a`` if the segment
    has fewer than 2 samples."""
    if b - a < 1:
        return a
    best, best_value = a, sign * (x[a + 1] - x[a])
    for k in range(a + 1, b):
        value = sign * ((x[k + 1] - x[k - 1]) / 2.0)
        if value > best_value:
            best, best_value = k, value
    if sign * (x[b] - x[b - 1]) > best_value:
        best = b
    return best


@numba.njit(cache=True, nogil=True)
def trapezium(x: np.ndarray, t_m: int, t_r: int) -> int:
    """Zhang's trapezium-area point between ``t_m`` (steepest point) and ``t_r`` (reference), inclusive: the index
    k maximising |(x[t_m] − x[k]) × (2 t_r − k − t_m)| / 2 (the first of equals)."""
    if t_r == t_m:
        return t_m
    lo, hi = min(t_m, t_r), max(t_m, t_r)
    best, best_area = lo, -1.0
    for k in range(lo, hi + 1):
        area = abs(0.5 * (x[t_m] - x[k]) * float(2 * t_r - k - t_m))
        if area > best_area:
            best, best_area = k, area
    return best


@numba.njit(cache=True, nogil=True)
def _first_run(seg: np.ndarray, start: int, level: float, above: bool, min_samples: int) -> int:
    """Start of the first run of at least ``min_samples`` samples of ``seg`` above ``level`` (``above``) or below
    it, at or after ``start``; -1 if none."""
    run = 0
    for k in range(start, len(seg)):
        if (seg[k] > level) if above else (seg[k] < level):
            run += 1
            if run >= min_samples:
                return k - run + 1
        else:
            run = 0
    return -1


@numba.njit(cache=True, nogil=True)
def r_and_s_waves(seg: np.ndarray, min_amplitude: float, min_samples: int) -> tuple[int, int]:
    """Indices into ``seg`` (one QRS complex minus its PR level) of the R peak and the S peak, -1 where absent.

    The R wave is the first run of at least ``min_samples`` samples above ``min_amplitude``; its peak is the
    maximum of the whole positive deflection that contains the run. The S wave is the first such run below
    ``-min_amplitude`` after the R wave's deflection has returned below zero; its peak is that deflection's
    minimum. Without an R wave there is no S wave (a QS complex)."""
    k = _first_run(seg, 0, min_amplitude, True, min_samples)
    if k < 0:
        return -1, -1
    a, b = k, k  # the positive deflection around k
    while a > 0 and seg[a - 1] > 0:
        a -= 1
    while b < len(seg) - 1 and seg[b + 1] > 0:
        b += 1
    r = a + int(np.argmax(seg[a:b + 1]))
    k = _first_run(seg, b + 1, -min_amplitude, False, min_samples)
    if k < 0:
        return r, -1
    a, b = k, k  # the negative deflection around k
    while a > 0 and seg[a - 1] < 0:
        a -= 1
    while b < len(seg) - 1 and seg[b + 1] < 0:
        b += 1
    return r, a + int(np.argmin(seg[a:b + 1]))


@numba.njit(cache=True, nogil=True)
def qrs_waves(xc: np.ndarray, qrs: np.ndarray, on: np.ndarray, off: np.ndarray, onset: np.ndarray,
              offset: np.ndarray, base: np.ndarray, wave_min_mv: float, wave_min_samples: int, ms: float,
              rr_med: float, t_start_ms: float, pts: np.ndarray, t_win: np.ndarray) -> None:
    """Step 5 and the T search windows. For each beat: the complex's largest deflection from the PR level
    ``base`` between ``onset`` and ``offset`` (``on``/``off`` with fallbacks), the R and S peaks
    (:func:`r_and_s_waves` on the cleaned lead ``xc``), written into ``pts``; and the beat's T window (QRS offset
    + ``t_start_ms`` to min(0.7 RR, 650 ms) after the QRS, ending 60 ms before the next QRS onset) into ``t_win``,
    left at -1 when shorter than 60 ms."""
    n, nb = len(xc), len(qrs)
    for i in range(nb):
        q, o, f = qrs[i], onset[i], offset[i]
        r = q
        if f >= o:
            seg = xc[o:f + 1] - base[i]
            r = o + int(np.argmax(np.abs(seg)))
            r_wave, s_wave = r_and_s_waves(seg, wave_min_mv, wave_min_samples)
            if r_wave >= 0:
                pts[i, R_PEAK] = o + r_wave
            if s_wave >= 0:
                pts[i, S_PEAK] = o + s_wave
        pts[i, QRS_PEAK] = r
        pts[i, QRS_ON] = on[i]
        pts[i, QRS_OFF] = off[i]
        rr_i = float(qrs[i + 1] - qrs[i]) if i + 1 < nb else rr_med
        t_a = f + samples(t_start_ms, ms)
        t_b = min(q + nearest(min(0.7 * rr_i, 650 * ms)), n - 1)
        if i + 1 < nb and np.isfinite(on[i + 1]):
            t_b = min(t_b, nearest(on[i + 1]) - samples(60.0, ms))
        if t_b - t_a > samples(60.0, ms):
            t_win[i, 0], t_win[i, 1] = t_a, t_b


@numba.njit(cache=True, nogil=True)
def t_waves(xs: np.ndarray, qrs: np.ndarray, off: np.ndarray, base: np.ndarray, t_win: np.ndarray,
            t_expect: float, ms: float, t_beat_ms: float, t_slope_ms: float, t_ref_ms: float,
            t_on_window_ms: float, t_on_ref_ms: float, pts: np.ndarray) -> None:
    """Step 3 per beat, on the low-passed lead ``xs``: the T peak is the local maximum of |xs − PR level| in the
    beat's window with the largest (prominence + deviation), weighted by a Gaussian (SD ``t_beat_ms``) around
    ``t_expect`` samples after the QRS when that is finite; T offset and onset by the trapezium method."""
    for i in range(len(qrs)):
        t_a, t_b = t_win[i, 0], t_win[i, 1]
        if t_a < 0:
            continue
        b0 = base[i]
        tdev = np.abs(xs[t_a:t_b + 1] - b0)
        tp, best = -1, -np.inf
        for c in local_maxima(tdev):
            score = peak_prominence(tdev, c)[0] + tdev[c]
            if np.isfinite(t_expect):
                z = (float(t_a + c - qrs[i]) - t_expect) / (t_beat_ms * ms)
                score = score * np.exp(-0.5 * (z * z))
            if tp < 0 or score > best:
                tp, best = c, score
        if tp < 0:
            continue
        tp += t_a
        sign = np.sign(xs[tp] - b0)
        t_m = _steepest(xs, tp, min(t_b, tp + samples(t_slope_ms, ms)), -sign)
        t_r = min(t_b, t_m + samples(t_ref_ms, ms))
        pts[i, T_PEAK] = tp
        pts[i, T_OFF] = trapezium(xs, t_m, max(t_r, t_m))
        on_a = max(t_a, tp - samples(t_on_window_ms, ms))
        if tp - on_a > 1:
            t_m_on = _steepest(xs, on_a, tp, sign)
            f_i = nearest(off[i]) if np.isfinite(off[i]) else t_a
            pts[i, T_ON] = trapezium(xs, t_m_on, max(f_i, t_m_on - samples(t_on_ref_ms, ms)))


@numba.njit(cache=True, nogil=True)
def p_waves(xs: np.ndarray, onset: np.ndarray, rr_med: float, p_min: float, ms: float, p_ref_ms: float,
            p_width_ms: float, p_edge: float, pts: np.ndarray, p_upright: float) -> None:
    """Step 4 per beat, on the low-passed lead ``xs``: in the window from max(300 ms, 0.6 median RR) before QRS
    onset (after the previous T offset + 20 ms) to 15 ms before it, the most prominent deviation from the straight
    line joining the window's ends that is at least ``p_width_ms`` wide at half prominence; kept if it reaches
    ``p_min`` (mV). With ``p_upright`` > 0, the most prominent upright deviation reaching ``p_min`` is the P wave
    whenever its prominence is at least ``p_upright`` × that of the most prominent inverted one (a biphasic P
    wave's peak is its upright part; 0: the larger of either sign). Offset where the deviation falls below
    ``p_edge`` of the amplitude; onset by the trapezium method from the steepest up-slope. Needs the T offsets
    already in ``pts``."""
    prev_t_off = -np.inf
    for i in range(len(onset)):
        o = onset[i]
        p_b = o - samples(15.0, ms)
        p_a = max(0, o - nearest(min(300 * ms, 0.6 * rr_med)))
        if np.isfinite(prev_t_off):
            p_a = max(p_a, nearest(prev_t_off) + samples(20.0, ms))
        if p_b - p_a > samples(60.0, ms):
            m = p_b - p_a + 1
            step = (xs[p_b] - xs[p_a]) / (m - 1)
            line = np.empty(m)  # np.linspace(xs[p_a], xs[p_b], m), value for value
            for k in range(m - 1):
                line[k] = float(k) * step + xs[p_a]
            line[m - 1] = xs[p_b]
            dev = xs[p_a:p_b + 1] - line
            pdev = np.abs(dev)
            if p_upright > 0:
                c_up, prom_up = most_prominent_peak(dev, p_width_ms * ms)
                c_down, prom_down = most_prominent_peak(-dev, p_width_ms * ms)
                up = c_up >= 0 and dev[c_up] >= p_min
                down = c_down >= 0 and -dev[c_down] >= p_min
                if up and (not down or prom_up >= p_upright * prom_down):
                    c = c_up
                elif down:
                    c = c_down
                else:
                    c = -1
            else:
                c, _ = most_prominent_peak(pdev, p_width_ms * ms)
            if c >= 0 and pdev[c] >= p_min:
                amp = pdev[c]
                pp = p_a + c
                sign = np.sign(xs[pp] - line[c])
                lim = p_edge * amp
                # the offset: where the deviation falls below the limit, between the samples either side
                end = float(m - 1)
                for k in range(c + 1, m):
                    now = (xs[p_a + k] - line[k]) * sign
                    if now < lim:
                        before = (xs[p_a + k - 1] - line[k - 1]) * sign
                        end = k - 1 + (before - lim) / (before - now)
                        break
                t_m = _steepest(xs, p_a, pp, sign)
                pts[i, P_ON] = trapezium(xs, t_m, max(p_a, t_m - samples(p_ref_ms, ms)))
                pts[i, P_PEAK] = pp
                pts[i, P_OFF] = p_a + end
        if np.isfinite(pts[i, T_OFF]):
            prev_t_off = pts[i, T_OFF]


@numba.njit(cache=True, nogil=True)
def _bridge(window: np.ndarray, displacement: float) -> np.ndarray:
    """Per sample of ``window`` (samples × leads): whether at least half of the leads lie at least ``displacement``
    × their largest deviation from their median."""
    n, n_leads = window.shape
    count = np.zeros(n, dtype=np.int64)
    for c in range(n_leads):
        column = window[:, c].copy()
        deviation = np.abs(column - np.median(column))
        limit = displacement * deviation.max()
        for k in range(n):
            if deviation[k] >= limit:
                count[k] += 1
    return 2 * count >= n_leads


@numba.njit(cache=True, nogil=True)
def _core_end(strong: np.ndarray, bridge: np.ndarray, peak: int, gap: int, step: int) -> int:
    """The beat core's first (``step`` −1) or last (+1) index: the ``strong`` samples reached from ``peak`` in that
    direction across runs of at most ``gap`` other samples, all of them ``bridge`` samples."""
    current, j = peak, peak + step
    while 0 <= j < len(strong) and abs(j - current) <= gap + 1:
        if strong[j]:
            current = j
        elif not bridge[j]:
            break
        j += step
    return current


@numba.njit(cache=True, nogil=True)
def _quiet_run(quiet: np.ndarray, start: int, run: int, step: int) -> int:
    """The first index k from ``start`` on, going in direction ``step`` (−1 or +1), where ``run`` quiet samples
    follow in that direction, k included (samples beyond either end count as quiet); −1 if none."""
    k = start
    while 0 <= k < len(quiet):
        ok = True
        for m in range(run):
            i = k + m * step
            if 0 <= i < len(quiet) and not quiet[i]:
                ok = False
                break
        if ok:
            return k
        k += step
    return -1


@numba.njit(cache=True, nogil=True, error_model="numpy")
def qrs_bounds(env: np.ndarray, qrs: np.ndarray, signal: np.ndarray, back: int, fwd: int, half: int, floor: float,
               fraction: float, cap: float, run: int, core_fraction: float, gap: int,
               displacement: float) -> tuple[np.ndarray, np.ndarray]:
    """Step 2 of the delineator for one energy signal ``env`` (see ``ecg_delineate._qrs_bounds``): QRS onset and
    offset around each detection point of ``qrs``, interpolated between samples; ``signal`` (samples × leads) gives
    the core's bridges when ``displacement`` > 0. Window lengths are in samples."""
    n = len(env)
    on = np.full(len(qrs), np.nan)
    off = np.full(len(qrs), np.nan)
    for i in range(len(qrs)):
        q = qrs[i]
        a, b = max(0, q - back), min(n, q + fwd + 1)
        seg = env[a:b]
        top = q
        if half > 0:
            lo, hi = max(0, q - half), min(n, q + half + 1)
            top = lo + int(np.argmax(env[lo:hi]))
        peak = top - a
        level = max(fraction * env[top], min(floor, cap * env[top]))
        first, last = peak, peak
        if core_fraction > 0:
            strong = seg >= core_fraction * env[top]
            if displacement > 0:
                bridge = _bridge(signal[a:b], displacement)
            else:
                bridge = np.ones(len(seg), dtype=np.bool_)
            first = _core_end(strong, bridge, peak, gap, -1)
            last = _core_end(strong, bridge, peak, gap, 1)
        quiet = seg < level
        k = _quiet_run(quiet, first - 1, run, -1)
        if k < 0 and first < peak:  # the core reaches the search window's start: from the maximum instead
            first = peak
            k = _quiet_run(quiet, first - 1, run, -1)
        if k >= 0:
            on[i] = a + k + (level - seg[k]) / (seg[k + 1] - seg[k])
        elif first > 0:
            on[i] = a + int(np.argmin(seg[:first]))
        k = _quiet_run(quiet, last, run, 1)
        if k < 0 and last > peak:  # the core reaches the search window's end
            last = peak
            k = _quiet_run(quiet, last, run, 1)
        if k >= 0:
            off[i] = a + k - 1 + (seg[k - 1] - level) / (seg[k - 1] - seg[k])
        elif len(seg) > last + 1:
            off[i] = a + last + int(np.argmin(seg[last:]))
    return on, off
