"""`ecg_delineate`: R peaks and P/QRS/T onsets, peaks and offsets, vectorised over leads.

Method (ecgfeat's own, built for speed and lead independence):

1. **QRS detection** on a sign-free energy signal: the squared derivative of the 8–30 Hz band, summed over
   the anchor leads and smoothed (100 ms). With ``anchors='lead'`` every lead is detected from its own signal
   only, so a lead's features never carry information from another lead (needed when leads are Shapley
   players); ``anchors='consensus'`` sums the energy of all usable leads (spatial velocity), the more robust
   choice when leads are not compared. Peaks above 30 % of the 90th-percentile peak height, 200 ms apart, with
   a search-back at half the threshold for gaps longer than 1.6 median RR (each gap searched again after a beat
   is found in it, until none holds a peak); then any peak above
   ``qrs_weak_fraction`` of the 90th percentile that lies 500 ms or more from every beat found (a second,
   weaker beat family). Last, a peak within ``qrs_neighbour_ms`` of one with more than twice its energy is
   dropped as that beat's P or T wave or a pacing artefact (Pan & Tompkins's T-wave rule, on both sides).
2. **QRS onset/offset**: where the ``qrs_smooth_ms``-smoothed derivative energy of the whole cleaned band (0.5–40 Hz;
   ``qrs_bounds_band='broad'``, so that the slow parts of wide, slurred complexes count) falls below
   ``qrs_fraction`` of its maximum within 30 ms of the detection point, or below ``qrs_noise_factor`` times the
   lead's median energy if that is higher (the lead's own floor of noise and slow waves: in low-amplitude leads a
   fraction of the peak alone lies inside that floor and the bounds drift into the PR and ST segments; the floor is
   capped at 2 % of the beat's peak energy so that a beat barely above the noise keeps its bounds), and stays below
   it for ``qrs_quiet_ms`` (a brief dip at the nadir of a wide rounded complex is not its end), searching back and
   forward from the ends of the beat's core, up to 150 ms before and 200 ms after the detection point. The core is
   the stretch around that maximum where the energy is at least ``qrs_core_fraction`` of it, joined across quiet
   stretches of up to ``qrs_core_gap_ms`` in which the lead stays displaced from its level (a slurred, notched R
   wave's flat top, or an S wave's flat trough before its slurred return, lies inside the complex; the PR and ST
   segments lie at the level and are never joined).
   ``qrs_bounds_band='8-30'`` uses the detection's 8–30 Hz energy instead (ecgfeat before schema 6).
3. **T peak/offset** on the 15 Hz low-passed lead, in two steps. First the lead's median beat (aligned on the
   QRS, minus each beat's PR level) gives the usual T-peak delay: its most prominent deviation after the ST
   segment, weighted by a broad Gaussian prior (SD ``t_prior_ms``) around 290 ms × sqrt(RR / 1 s). Then each
   beat takes the most prominent deviation from its PR-segment baseline between QRS offset + ``t_start_ms`` and a
   heart-rate-dependent window end, weighted by a Gaussian (SD ``t_beat_ms``) around that delay: averaging
   beats finds flat or noisy T waves that a single beat hides, and the weighting stops a beat from taking
   a late baseline swing for its T wave. The offset by the trapezium-area method (Zhang et al., IEEE TBME
   2006) from the steepest return to baseline within ``t_slope_ms`` after the peak.
   T onset by the same method on the T wave's leading flank: from its steepest point in the ``t_on_window_ms``
   before the T peak (and after QRS offset + ``t_start_ms``), back towards a reference ``t_on_ref_ms`` earlier (never
   before QRS offset).
4. **P peak/onset/offset**: the most prominent deviation in the 280 ms before QRS onset (and after the previous
   T offset), accepted if it exceeds the lead's noise; an upright deviation is preferred unless an inverted one
   is more than 1 / ``p_upright`` times as prominent (a biphasic P wave's peak is its upright part, not its
   terminal negative part next to the QRS complex); onset and offset by the trapezium-area method.
5. **R and S peaks** by their clinical definitions, on the cleaned lead relative to the beat's PR level
   between QRS onset and offset: the R wave is the first positive deflection, the S wave the first negative
   deflection after it; a deflection counts as a wave when it exceeds ``wave_min_mv`` for at least 6 ms (the
   minimum-wave rule of IEC 60601-2-51, Annex GG: 30 µV for 6 ms). The peak is the wave's extreme. The
   beat's anchor ``qrs_peak`` stays the complex's largest deflection, whatever its sign.

All positions are sample indices into the record (float, NaN when absent). They do not move with the sampling
rate (schema 11): every moving average that places a point spans exactly its duration and is centred
(:func:`moving_average`; the 100 ms one that only finds the QRS peaks is left in whole samples), slopes
come from a five-point difference (:func:`derivative`), window lengths are rounded to the nearest sample rather
than truncated, and the QRS onset/offset and P offset, where a curve crosses a level, are interpolated between the
samples either side. Before, the same beats sampled at 250 Hz instead of 1000 Hz had their QRS onset 2.9 ms and
P offset 5.7 ms later (``tests/features/test_ecg_delineate.py``), and on LUDB resampled to 250 Hz the P offset's
F1 at 50 ms was 2.9 points below its F1 at 1000 Hz (``benchmarks/bench_delineation_rates.py``); QTDB and INCART
are sampled at 250 and 257 Hz.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import find_peaks

from .delineation import POINTS, Delineation, lead_usable
from .ecg_clean import bandpass, ecg_clean
from .ecg_delineate_beats import p_waves, qrs_bounds, qrs_waves, t_waves
from .ecg_delineate_neurokit import NEUROKIT_METHODS, delineate_neurokit


def moving_average(x: np.ndarray, duration_s: float, fs: float) -> np.ndarray:
    """Centred moving average along axis 0 over exactly ``duration_s`` seconds: each sample stands for the interval
    of 1 / ``fs`` around it, and the window's two end samples count by the fraction of them it covers (edges
    extended with the end values). A whole-sample window would be up to a sample too long or short, or lag by half
    a sample when even (2 ms at 250 Hz)."""
    x = np.asarray(x, dtype=float)
    half = 0.5 * duration_s * fs  # samples either side
    if half <= 0.5:  # narrower than one sample: the signal itself
        return x.copy()
    pad = int(np.ceil(half)) + 1
    xp = np.concatenate([np.repeat(x[:1], pad, axis=0), x, np.repeat(x[-1:], pad, axis=0)])
    c = np.concatenate([np.zeros((1, *x.shape[1:])), np.cumsum(xp, axis=0)])  # c[k]: sum of xp[:k]
    centre = np.arange(len(x)) + pad

    def integral(shift: float) -> np.ndarray:  # ∫ of the stepwise signal from its start to each centre + shift
        k = int(np.floor(shift + 0.5))
        return c[centre + k] + (shift + 0.5 - k) * xp[centre + k]

    return (integral(half) - integral(-half)) / (2 * half)


def derivative(x: np.ndarray, fs: float) -> np.ndarray:
    """d/dt along axis 0 (units per second): the five-point central difference, whose gain stays within 3.5 % of
    the true derivative up to fs / 6 (at 250 Hz, 0.970 at 40 Hz, the top of the cleaned band; the three-point
    difference gives 0.840 there, so slopes, and the bounds found on them, moved with the sampling rate);
    np.gradient in the two samples at each end."""
    x = np.asarray(x, dtype=float)
    d = np.gradient(x, axis=0)
    if len(x) >= 5:
        d[2:-2] = (x[:-4] - 8 * x[1:-3] + 8 * x[3:-1] - x[4:]) / 12
    return d * fs


def _energy(x: np.ndarray, fs: float) -> np.ndarray:
    band = bandpass(x, fs, 8.0, 30.0)
    return np.gradient(band, axis=0) ** 2 * fs ** 2


#: a peak near a beat with at least 1 / this ratio of its energy is that beat's P or T wave (Pan & Tompkins's
#: T-wave rule: half the slope)
NEIGHBOUR_RATIO = 0.5


def detect_qrs(energy: np.ndarray, fs: float, weak_fraction: float = 0.08, isolation_ms: float = 500.0,
               neighbour_ms: float = 0.0) -> np.ndarray:
    """QRS locations (samples) from a 1-D energy signal (see module docstring).

    After the main threshold and the search-back, a weaker peak (at least ``weak_fraction`` of the
    90th-percentile peak) is a beat too when it lies ``isolation_ms`` or more from every beat found: a second beat
    family with far less QRS energy (paced and intrinsic beats, aberrant runs) falls under the main threshold,
    while T and P waves, the usual weaker peaks, lie within about 450 ms of their own QRS complex. Not in the
    first or last 200 ms of the record, where filter transients make peaks. Last, a peak within ``neighbour_ms``
    (0: off) of another with more than 1 / :data:`NEIGHBOUR_RATIO` times its smoothed energy is dropped: a sharp
    P wave, an atrial pacing artefact or a peaked T wave next to its own QRS complex (Pan & Tompkins, IEEE TBME
    1985, drop a peak within 360 ms after a QRS complex with less than half its slope as a T wave; here on both
    sides, and on energy)."""
    # whole samples here: this window only finds the peaks, whose positions are then refined on the energy itself
    integ = uniform_filter1d(energy, max(1, int(0.10 * fs)), mode="nearest")
    peaks, props = find_peaks(integ, distance=max(1, int(0.20 * fs)), height=0)
    if len(peaks) == 0:
        return peaks
    heights = props["peak_heights"]
    thr = 0.30 * np.percentile(heights, 90)
    keep = peaks[heights >= thr]
    if len(keep) >= 3:  # search back in long gaps with half the threshold
        above_half = heights >= thr / 2
        keep = search_back(keep, peaks[above_half], heights[above_half], np.median(np.diff(keep)))
    edge = 0.2 * fs  # filter transients at the record's ends are not beats; a beat there is incomplete anyway
    weak = np.flatnonzero((heights >= weak_fraction * np.percentile(heights, 90)) & (heights < thr)
                          & (peaks >= edge) & (peaks <= len(energy) - 1 - edge))
    isolation = isolation_ms * fs / 1000
    found = list(keep)
    for k in weak[np.argsort(-heights[weak], kind="stable")]:  # strongest first
        if not found or np.min(np.abs(np.asarray(found) - peaks[k])) >= isolation:
            found.append(int(peaks[k]))
    keep = np.sort(np.asarray(found, dtype=int))
    if neighbour_ms > 0 and len(keep) > 1:
        keep = keep[~_weak_neighbours(keep, integ[keep], neighbour_ms * fs / 1000)]
    # refine to the energy maximum (integration smears the peak)
    half = max(1, int(0.06 * fs))
    out = []
    for p in keep:
        a, b = max(0, p - half), min(len(energy), p + half + 1)
        out.append(a + int(np.argmax(energy[a:b])))
    return np.unique(np.asarray(out, dtype=int))


def search_back(beats: np.ndarray, peaks: np.ndarray, heights: np.ndarray, rr: float) -> np.ndarray:
    """``beats`` (sorted samples) with, in every gap longer than 1.6 ``rr`` (samples), the highest of ``peaks``
    (with ``heights``) lying more than 0.36 ``rr`` from both ends, repeated until no gap that long holds such a
    peak: a run of missed beats is found whole, one beat per pass (Pan & Tompkins's search-back, IEEE TBME 1985,
    which runs beat by beat and so searches a gap again after each beat it finds). Sorted."""
    beats = np.sort(np.asarray(beats, dtype=int))
    while True:
        extra = []
        for a, b in zip(beats[:-1], beats[1:]):
            if b - a > 1.6 * rr:
                inside = (peaks > a + 0.36 * rr) & (peaks < b - 0.36 * rr)
                if inside.any():
                    extra.append(peaks[inside][np.argmax(heights[inside])])
        if not extra:
            return beats
        beats = np.sort(np.concatenate([beats, np.asarray(extra, dtype=int)]))


def _weak_neighbours(positions: np.ndarray, heights: np.ndarray, window: float) -> np.ndarray:
    """True for each peak (sorted ``positions``, samples) with a neighbour closer than ``window`` samples whose
    height exceeds its own by more than 1 / :data:`NEIGHBOUR_RATIO`."""
    weak = np.zeros(len(positions), bool)
    for i in range(len(positions)):
        lo = np.searchsorted(positions, positions[i] - window, side="right")
        hi = np.searchsorted(positions, positions[i] + window, side="left")
        near = np.concatenate([heights[lo:i], heights[i + 1:hi]])
        weak[i] = len(near) > 0 and heights[i] < NEIGHBOUR_RATIO * near.max()
    return weak


#: the energy floor of the QRS bounds never exceeds this fraction of the beat's own peak energy (14 % of its peak
#: slope), so that a beat barely above its lead's noise keeps bounds on both sides of its peak
QRS_FLOOR_CAP = 0.02


def _qrs_bounds(env: np.ndarray, qrs: np.ndarray, fs: float, fraction: float, reference_ms: float = 0.0,
                noise_factor: float = 0.0, quiet_ms: float = 0.0, core_fraction: float = 0.0,
                core_gap_ms: float = 0.0, signal: np.ndarray | None = None,
                core_displacement: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """QRS onset and offset around each detection point: the beat's reference is the maximum of ``env`` within
    ``reference_ms`` of the point (the point itself when 0); onset and offset are where ``env`` falls below
    ``fraction`` of that maximum, or below ``noise_factor`` × the median of ``env`` over the lead (capped at
    :data:`QRS_FLOOR_CAP` of the maximum) if that is higher, searching back and forward from the maximum's position,
    up to 150 ms before and 200 ms after the detection point; where ``env`` never falls that low, its lowest point
    in that search window. With ``quiet_ms`` > 0 the energy must stay below that level for ``quiet_ms`` (or to the
    end of the search window): a brief dip does not end the complex (the slope, and so the energy, of a wide
    rounded complex passes through zero at its nadir). With ``core_fraction`` > 0 the search starts from the ends of
    the beat's core instead of from the maximum: the samples at or above ``core_fraction`` of the maximum, joined
    across quiet stretches of at most ``core_gap_ms`` (the flat top of a slurred, notched R wave or the flat trough
    of an S wave before its slurred return lies inside the complex, however long it is quiet). With ``signal`` (the
    lead, mV) and ``core_displacement`` > 0, a quiet stretch joins the core only where the signal stays at least
    ``core_displacement`` × the beat's largest deviation away from its level (the median over the search window):
    the PR and ST segments lie at that level, a flat R top or S trough does not. A 2-D ``signal`` (samples × leads,
    for beats common to several leads) bridges where at least half of its leads do. Where no bound lies beyond the
    core within the search window, the search starts from the maximum on that side."""
    n = len(env)
    floor = noise_factor * float(np.median(env)) if noise_factor > 0 and n else 0.0
    use_signal = signal is not None and core_displacement > 0
    lead = np.asarray(signal, dtype=np.float64).reshape(n, -1) if use_signal else np.zeros((0, 1))
    return qrs_bounds(np.ascontiguousarray(env, dtype=np.float64), np.asarray(qrs, dtype=np.int64), lead,
                      round(0.15 * fs), round(0.20 * fs), round(reference_ms * fs / 1000), floor, fraction,
                      QRS_FLOOR_CAP, max(1, round(quiet_ms * fs / 1000)), core_fraction,
                      round(core_gap_ms * fs / 1000), core_displacement if use_signal else 0.0)


def delineate_ecgfeat(signal: np.ndarray, sampling_rate: float, anchors: str = "lead",
                      qrs_fraction: float = 0.001, p_min_mv: float = 0.01, t_ref_ms: float = 80.0,
                      p_ref_ms: float = 40.0, p_width_ms: float = 20.0, p_edge: float = 0.3,
                      t_prior_ms: float = 60.0, t_beat_ms: float = 60.0, t_slope_ms: float = 120.0,
                      t_on_ref_ms: float = 80.0, t_on_window_ms: float = 60.0,
                      wave_min_mv: float = 0.03, qrs_weak_fraction: float = 0.08, t_start_ms: float = 40.0,
                      qrs_bounds_band: str = "broad", qrs_noise_factor: float = 8.0,
                      qrs_neighbour_ms: float = 300.0, p_upright: float = 0.7,
                      qrs_smooth_ms: float = 16.0, qrs_quiet_ms: float = 0.0, qrs_core_fraction: float = 0.02,
                      qrs_core_gap_ms: float = 40.0, qrs_core_displacement: float = 0.2) -> Delineation:
    """ecgfeat's delineation (the module docstring) of every lead of ``signal`` (n_samples, n_leads), in mV, sampled
    at ``sampling_rate`` Hz. Called through :func:`ecg_delineate` (``method='ecgfeat'``).

    Parameters
    ----------
    anchors : {'lead', 'consensus'}
        'lead' detects beats in each lead from that lead alone; 'consensus' from all usable leads together.
    qrs_fraction, qrs_bounds_band : float, {'broad', '8-30'}
        Energy fraction that marks QRS onset/offset, and the band whose derivative energy it is taken of (module
        docstring, step 2); a fraction suits one band only (the cross-validation chose 0.001 with
        ``qrs_noise_factor`` 8 and ``qrs_smooth_ms`` 16 for 'broad' in every fold — 0.0025 with 8 and 24 ms at schema
        10, 0.001 with 5 and 16 ms before, 0.0025 without the floor before schema 7 — and 0.02 for '8-30').
    qrs_smooth_ms : float, in ms
        Moving-average window of the whole band's derivative energy the QRS bounds are found on
        (``qrs_bounds_band='broad'`` only; 16, 24 and 32 ms tried: every fold chose 24 at schema 10, 16 at schema
        11, where the windows became centred and exact and the crossings interpolated).
    qrs_noise_factor : float
        QRS bounds never lie where the bounds energy is below this multiple of its median over the lead (0: off;
        step 2 of the module docstring).
    qrs_quiet_ms : float, in ms
        The bounds energy must stay below its level this long for the complex to start or end there (0: the first
        sample below it, as before schema 11): the slope of a wide rounded complex, and so its energy, passes
        through zero at its nadir, and the offset was taken there (LUDB 116, V2: 126–140 ms early). Off by default
        since schema 12: the beat's core (below) keeps such a nadir inside the complex, and every fold but one
        chose 0 over 6, 10 and 16 ms with it.
    qrs_core_fraction, qrs_core_gap_ms : float, float in ms
        The QRS bounds are searched for outside the beat's core: the samples whose bounds energy is at least
        ``qrs_core_fraction`` of the beat's maximum, joined across quiet stretches of at most ``qrs_core_gap_ms``
        (0: from the maximum, as before schema 12). A slurred, notched R wave's flat top or an S wave's flat trough
        before its slurred return can stay quiet longer than ``qrs_quiet_ms``, and the bound was taken there
        (LUDB 116 V6: onsets ~100 ms late; LUDB 108 I: offsets ~60 ms early). Fractions 0.02, 0.05 and 0.1,
        gaps 40 and 60 ms and displacements 0.2 and 0.35 tried; every fold chose 0.02, 40 ms and 0.2.
    qrs_core_displacement : float
        A quiet stretch joins the core only where the lead stays at least this fraction of the beat's largest
        deviation away from its level (the median over the bounds' search window).
    qrs_weak_fraction : float
        A peak of at least this fraction of the lead's 90th-percentile QRS-energy peak is a beat when it lies 500 ms
        or more from every other beat (see :func:`detect_qrs`). 0.04, 0.05, 0.08, 0.12 and 0.3 tried; at schemas 12
        and 13 three folds chose 0.05 and two 0.08 (none 0.04), which tie on all records (mean F1 90.26 each): 0.08
        is kept.
    p_upright : float
        The most prominent upright P deviation is the P wave when its prominence is at least this fraction of the
        most prominent inverted one (0: the larger of either sign, as before schema 9).
    qrs_neighbour_ms : float, in ms
        A peak this close to a beat with more than twice its QRS energy is not a beat (its P or T wave; 0: off;
        see :func:`detect_qrs`).
    p_min_mv : float, in mV
        Smallest P-wave amplitude accepted (also at least 3 × the lead's high-frequency noise).
    t_ref_ms, t_prior_ms, t_beat_ms, t_slope_ms : float, in ms
        T offset: trapezium reference distance after the steepest point; T peak: SD of the prior on the median
        beat's T-peak delay and of the weighting of each beat around it; window after the T peak searched for
        the steepest return to baseline.
    t_start_ms : float, in ms
        Where each beat's T-wave search starts after its QRS offset. Set by hand, not tuned: 5-fold cross-validation
        on LUDB over 30, 40, 60 and 80 ms moved the mean F1 by 0.01 points and the folds chose 30, 40 and 80; a
        late start would miss T waves close to the QRS at high heart rates, which LUDB hardly has.
    t_on_ref_ms, t_on_window_ms : float, in ms
        T onset: trapezium reference distance before the steepest point of the T wave's leading flank, and how
        far before the T peak that steepest point is looked for (the QRS complex's own tail can be steeper).
    wave_min_mv : float, in mV
        Smallest deflection from the PR level (held for 6 ms) that counts as an R or S wave (IEC 60601-2-51's
        30 µV; a standard, not tuned).

    Provenance of the defaults: ``qrs_fraction``, ``qrs_bounds_band``, ``qrs_noise_factor``, ``t_prior_ms``,
    ``p_edge``, ``t_on_ref_ms``, ``t_on_window_ms``, ``qrs_weak_fraction``, ``qrs_neighbour_ms`` (0, 250, 300 and
    360 ms tried; every fold chose 300), ``p_upright``, ``qrs_smooth_ms``, ``qrs_quiet_ms`` and the three
    ``qrs_core_*`` parameters are the candidates with the best mean
    F1 (150 ms, 50 ms and CSE tolerances, every point) on all 200 LUDB records among those
    ``benchmarks/bench_delineation_cv.py`` tries;
    the same search, run as 5-fold cross-validation over records, is what that benchmark reports (out of fold).
    The other parameters were set by hand on LUDB and synthetic beats before the cross-validation existed and are
    not tuned by it.
    """
    if anchors not in ("lead", "consensus"):
        raise ValueError(f"anchors must be 'lead' or 'consensus', got {anchors!r}")
    if qrs_bounds_band not in ("8-30", "broad"):
        raise ValueError(f"qrs_bounds_band must be '8-30' or 'broad', got {qrs_bounds_band!r}")
    if not qrs_smooth_ms > 0:
        raise ValueError(f"qrs_smooth_ms must be > 0, got {qrs_smooth_ms!r}")
    if not p_upright >= 0:
        raise ValueError(f"p_upright must be >= 0, got {p_upright!r}")
    if not qrs_neighbour_ms >= 0:
        raise ValueError(f"qrs_neighbour_ms must be >= 0, got {qrs_neighbour_ms!r}")
    if not qrs_quiet_ms >= 0:
        raise ValueError(f"qrs_quiet_ms must be >= 0, got {qrs_quiet_ms!r}")
    if not 0 <= qrs_core_fraction <= 1:
        raise ValueError(f"qrs_core_fraction must be in [0, 1], got {qrs_core_fraction!r}")
    if not 0 <= qrs_core_displacement <= 1:
        raise ValueError(f"qrs_core_displacement must be in [0, 1], got {qrs_core_displacement!r}")
    if not qrs_core_gap_ms >= 0:
        raise ValueError(f"qrs_core_gap_ms must be >= 0, got {qrs_core_gap_ms!r}")
    if not qrs_noise_factor >= 0:
        raise ValueError(f"qrs_noise_factor must be >= 0, got {qrs_noise_factor!r}")
    fs = float(sampling_rate)
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    n_leads = x.shape[1]
    usable = np.array([lead_usable(x[:, j]) for j in range(n_leads)])
    xf = np.where(np.isfinite(x), x, 0.0)
    for j in np.flatnonzero(usable):  # fill the few NaN samples of usable leads by interpolation
        bad = ~np.isfinite(x[:, j])
        if bad.any():
            xf[bad, j] = np.interp(np.flatnonzero(bad), np.flatnonzero(~bad), x[~bad, j])
    cleaned = ecg_clean(xf, fs)
    smooth = bandpass(cleaned, fs, None, 15.0)
    energy = _energy(cleaned, fs)
    env = moving_average(energy, 0.016, fs)
    if qrs_bounds_band == "8-30":
        bounds_env, reference_ms = env, 0.0
    else:  # the derivative energy of the whole cleaned band: the slow parts of wide complexes count too
        bounds_env = moving_average(derivative(cleaned, fs) ** 2, qrs_smooth_ms / 1000, fs)
        reference_ms = 30.0
    # robust high-frequency noise level (MAD of the >15 Hz residual; QRS complexes barely move the median)
    noise = 1.4826 * np.median(np.abs(cleaned - smooth), axis=0)

    if anchors == "consensus" and usable.any():  # (without a usable lead no lead needs the common beats)
        def pooled(x: np.ndarray) -> np.ndarray:  # the usable leads' energies, each over its median, summed
            return (x[:, usable] / (np.median(x[:, usable], axis=0) + 1e-12)).sum(axis=1)

        qrs = detect_qrs(pooled(env), fs, qrs_weak_fraction, neighbour_ms=qrs_neighbour_ms)
        on, off = _qrs_bounds(pooled(bounds_env), qrs, fs, qrs_fraction, reference_ms, qrs_noise_factor,
                              qrs_quiet_ms, qrs_core_fraction, qrs_core_gap_ms, cleaned[:, usable],
                              qrs_core_displacement)
        common = (qrs, on, off)
    max_beats = 0
    results = []
    for j in range(n_leads):
        if not usable[j]:
            results.append(None)
            continue
        if anchors == "lead":
            qrs = detect_qrs(energy[:, j], fs, qrs_weak_fraction, neighbour_ms=qrs_neighbour_ms)
            on, off = _qrs_bounds(bounds_env[:, j], qrs, fs, qrs_fraction, reference_ms, qrs_noise_factor,
                                  qrs_quiet_ms, qrs_core_fraction, qrs_core_gap_ms, cleaned[:, j],
                                  qrs_core_displacement)
        else:
            qrs, on, off = common
        results.append(_waves(cleaned[:, j], smooth[:, j], qrs, on, off, fs, max(p_min_mv, 3 * noise[j]),
                              t_ref_ms, p_ref_ms, p_width_ms, p_edge, t_prior_ms, t_beat_ms, t_slope_ms,
                              t_on_ref_ms, t_on_window_ms, wave_min_mv, t_start_ms, p_upright))
        max_beats = max(max_beats, len(qrs))
    points = np.full((n_leads, max_beats, len(POINTS)), np.nan)
    baseline = np.full((n_leads, max_beats), np.nan)
    n_beats = np.zeros(n_leads, dtype=int)
    for j, res in enumerate(results):
        if res is None:
            continue
        pts, base = res
        points[j, : len(pts)] = pts
        baseline[j, : len(pts)] = base
        n_beats[j] = len(pts)
    return Delineation(points, n_beats, baseline, cleaned, smooth, fs)


def _t_template(xs: np.ndarray, qrs: np.ndarray, base: np.ndarray, t_win: np.ndarray, fs: float,
                rr_med: float, prior_ms: float) -> float:
    """T-peak delay after the QRS detection point (samples) in the lead's median beat, or NaN (< 3 beats).

    Candidates are the peaks of |median beat − PR level| in the typical T window, scored by prominence plus
    amplitude times a broad Gaussian prior (SD ``prior_ms``) centred on 290 ms × sqrt(RR / 1 s)."""
    ok = t_win[:, 0] >= 0
    if ok.sum() < 3:
        return np.nan
    ra = int(np.median(t_win[ok, 0] - qrs[ok]))
    rb = int(np.percentile(t_win[ok, 1] - qrs[ok], 25))
    if rb - ra < int(0.06 * fs):
        return np.nan
    k = np.arange(ra, rb + 1)
    idx = qrs[ok][:, None] + k[None, :]
    inside = idx < len(xs)
    beats = np.where(inside, xs[np.minimum(idx, len(xs) - 1)] - base[ok][:, None], np.nan)
    # np.median when no beat is cut by the record's end: the same values, without nanmedian's masked-array cost
    tmpl = np.abs(np.median(beats, axis=0) if inside.all() else np.nanmedian(beats, axis=0))
    cand, props = find_peaks(tmpl, prominence=0)
    if not len(cand):
        return np.nan
    expect = 0.29 * np.sqrt(rr_med / fs) * fs
    score = (props["prominences"] + tmpl[cand]) * np.exp(-0.5 * ((k[cand] - expect) / (prior_ms * fs / 1000)) ** 2)
    return float(k[cand[np.argmax(score)]])


def _waves(xc: np.ndarray, xs: np.ndarray, qrs: np.ndarray, on: np.ndarray, off: np.ndarray, fs: float,
           p_min: float, t_ref_ms: float, p_ref_ms: float, p_width_ms: float, p_edge: float,
           t_prior_ms: float, t_beat_ms: float, t_slope_ms: float, t_on_ref_ms: float, t_on_window_ms: float,
           wave_min_mv: float, t_start_ms: float, p_upright: float) -> tuple[np.ndarray, np.ndarray]:
    """Steps 3-5 for one lead: (points (n_beats, len(POINTS)), PR level of each beat in mV). The per-beat loops are
    compiled (:mod:`ecgfeat.features.ecg_delineate_beats`)."""
    xc, xs = np.ascontiguousarray(xc), np.ascontiguousarray(xs)
    n = len(xc)
    nb = len(qrs)
    pts = np.full((nb, len(POINTS)), np.nan)
    base = np.full(nb, np.nan)
    ms = fs / 1000.0
    rr = np.diff(qrs)
    rr_med = float(np.median(rr)) if len(rr) else fs
    q_ = qrs.astype(np.int64)
    # the first and last samples inside the (interpolated) QRS bounds, or fallbacks 40 ms before and 50 ms after the
    # detection point
    o_ = np.maximum(np.ceil(np.where(np.isfinite(on), on, q_ - round(40 * ms))).astype(np.int64), 0)
    f_ = np.minimum(np.floor(np.where(np.isfinite(off), off, q_ + round(50 * ms))).astype(np.int64), n - 1)
    # PR-segment baseline: the median of the 20 ms just before QRS onset (all full-length windows at once)
    pr = round(20 * ms)
    full = o_ - pr >= 0
    if pr > 0 and full.any():
        base[full] = np.median(xs[o_[full, None] + np.arange(-pr, 1)[None, :]], axis=1)
    for i in np.flatnonzero(~full if pr > 0 else np.ones(nb, bool)):  # windows cut by the record's start
        o, a = o_[i], max(0, o_[i] - pr)
        base[i] = float(np.median(xs[a:o + 1])) if o > a else float(xs[o])
    t_win = np.full((nb, 2), -1, dtype=np.int64)
    qrs_waves(xc, q_, on, off, o_, f_, base, wave_min_mv, max(1, round(6 * ms)), ms, rr_med, t_start_ms, pts, t_win)
    # T wave: where the lead's median beat has its most prominent deviation after the ST segment (weighted
    # by a broad prior around the usual T-peak time for the heart rate) guides each beat's choice
    t_expect = _t_template(xs, qrs, base, t_win, fs, rr_med, t_prior_ms)
    t_waves(xs, q_, off, base, t_win, t_expect, ms, t_beat_ms, t_slope_ms, t_ref_ms, t_on_window_ms, t_on_ref_ms,
            pts)
    p_waves(xs, o_, rr_med, p_min, ms, p_ref_ms, p_width_ms, p_edge, pts, p_upright)
    return pts, base


#: Delineation methods by name (NeuroKit2's style: one entry point, a method argument). Every method returns a
#: :class:`Delineation`; the feature extractor, the study config, the CLI's ``--method`` choices and the LUDB
#: benchmark all read this registry.
DELINEATION_METHODS: dict[str, Callable[..., Delineation]] = {
    "ecgfeat": delineate_ecgfeat,
    **{name: partial(delineate_neurokit, method=name) for name in NEUROKIT_METHODS},
}


def check_delineation(method: str, anchors: str = "lead") -> None:
    """ValueError unless ``method`` is in :data:`DELINEATION_METHODS` and ``anchors`` suits it (used before any
    work by :class:`~ecgfeat.features.record_features.FeatureConfig`, and by :func:`ecg_delineate`)."""
    if method not in DELINEATION_METHODS:
        raise ValueError(f"delineation method must be one of {list(DELINEATION_METHODS)}, got {method!r}")
    if anchors not in ("lead", "consensus"):
        raise ValueError(f"anchors must be 'lead' or 'consensus', got {anchors!r}")
    if method != "ecgfeat" and anchors != "lead":
        raise ValueError(f"anchors='consensus' is ecgfeat's own; the NeuroKit2 method {method!r} delineates each "
                         "lead on its own (anchors='lead')")


def ecg_delineate(signal: np.ndarray, sampling_rate: float, method: str = "ecgfeat", anchors: str = "lead",
                  **params) -> Delineation:
    """Fiducial points of every lead of ``signal`` (n_samples, n_leads), in mV at ``sampling_rate`` Hz.

    method : a name in :data:`DELINEATION_METHODS`: 'ecgfeat' (this module's method; ``anchors`` and ``params``
        are passed to :func:`delineate_ecgfeat`) or a NeuroKit2 method ('dwt', 'peak', 'prominence', 'cwt'; each
        lead on its own, so ``anchors`` must be 'lead').
    """
    check_delineation(method, anchors)
    if method == "ecgfeat":
        return delineate_ecgfeat(signal, sampling_rate, anchors=anchors, **params)
    if params:
        raise ValueError(f"the NeuroKit2 method {method!r} takes no parameters, got {sorted(params)}")
    return DELINEATION_METHODS[method](signal, sampling_rate)
