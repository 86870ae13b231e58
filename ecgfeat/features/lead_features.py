"""`lead_features`: per-lead morphology, interval, rhythm and quality features from a delineation.

Every feature belongs to one lead and is computed from that lead's own samples and fiducial points only.
Per-beat measurements are aggregated per record with the median (and, for a few, the inter-quartile range,
``*_iqr``). Amplitudes are relative to the beat's PR-segment level. Units: mV, ms, mV·ms, bpm, dB.
"""
from __future__ import annotations

import numpy as np

from .ecg_delineate import Delineation
from .beat_measurements import qrs_st_t_measurements
from .ecg_clean import bandpass

FEATURE_SCHEMA_VERSION = "13"  # 2: T waves located from the median beat; 3: plausibility checks; 4: T-peak prior
# SD 60 ms (chosen by cross-validation on LUDB); 5: weaker beats far from every other beat detected; 6: QRS bounds
# from the whole band's derivative energy, never NaN for a detected beat; 7: QRS bounds never inside the lead's
# energy floor (qrs_noise_factor 5, qrs_fraction 0.001, chosen by cross-validation on LUDB; floor capped at 2 % of
# each beat's peak energy); 8: a peak within 300 ms of a beat with twice its energy is not a beat (qrs_neighbour_ms,
# chosen by cross-validation on LUDB); 9: a biphasic P wave's peak is its upright part (p_upright 0.7, chosen by
# cross-validation on LUDB); 10: QRS bounds on the broad band's energy smoothed over 24 ms, not 16 (qrs_smooth_ms
# 24, qrs_fraction 0.0025, qrs_noise_factor 8, chosen by cross-validation on LUDB); 11: points that do not move with
# the sampling rate (exact-width centred moving averages, a five-point derivative, windows rounded to the nearest
# sample, QRS bounds and P offset interpolated between samples; the QRS bounds energy must stay below its level for
# 10 ms; qrs_quiet_ms 10, qrs_smooth_ms 16, qrs_fraction 0.001, chosen by cross-validation on LUDB); 12: QRS bounds
# searched for outside the beat's core, so that a slurred R wave's flat top or an S wave's flat trough is not a bound
# (qrs_core_fraction 0.02, qrs_core_gap_ms 40, qrs_core_displacement 0.2, and no quiet run, qrs_quiet_ms 0, chosen
# by cross-validation on LUDB); 13: the QRS search-back searches a long gap again after each beat it finds there, so
# that a run of missed beats is found whole

#: name -> (unit, definition). Column names are ``"{lead}__{name}"``.
FEATURES: dict[str, tuple[str, str]] = {
    "p_amp_mv": ("mV", "P-wave peak amplitude relative to the PR level (signed), median"),
    "q_amp_mv": ("mV", "deepest negative deflection before the R peak within the QRS (<= 0), median"),
    "r_amp_mv": ("mV", "largest positive deflection within the QRS (>= 0), median"),
    "s_amp_mv": ("mV", "deepest negative deflection after the R peak within the QRS (<= 0), median"),
    "t_amp_mv": ("mV", "T-wave peak amplitude relative to the PR level (signed), median"),
    "p_dur_ms": ("ms", "P onset to P offset, median"),
    "pr_ms": ("ms", "P onset to QRS onset, median"),
    "qrs_dur_ms": ("ms", "QRS onset to QRS offset, median"),
    "qt_ms": ("ms", "QRS onset to T offset, median"),
    "qtc_ms": ("ms", "QT corrected for heart rate (Bazett: QT / sqrt(RR in s)), median"),
    "st_level_mv": ("mV", "level 60 ms after the J point (QRS offset) relative to the PR level, median"),
    "t_area_mvms": ("mV·ms", "area between the signal and the PR level from J + 40 ms to T offset, median"),
    "t_polarity": ("1", "sign of the T-wave amplitude (-1, 0, +1), median over beats"),
    "rs_ratio": ("1", "R amplitude / |S amplitude| (|S| floored at 0.01 mV, capped at 50), median"),
    "qrs_area_mvms": ("mV·ms", "net area between the signal and the PR level over the QRS, median"),
    "qrs_abs_area_mvms": ("mV·ms", "absolute area over the QRS, median"),
    "qrs_notches": ("count", "extra local extrema in the QRS (prominence >= 0.05 mV) beyond the R and S, median"),
    "qrs_dur_ms_iqr": ("ms", "inter-quartile range of the QRS duration over beats"),
    "qt_ms_iqr": ("ms", "inter-quartile range of QT over beats"),
    "r_amp_mv_iqr": ("mV", "inter-quartile range of the R amplitude over beats"),
    "t_amp_mv_iqr": ("mV", "inter-quartile range of the T amplitude over beats"),
    "rr_mean_ms": ("ms", "mean RR interval of the lead's own beats"),
    "rr_sd_ms": ("ms", "standard deviation of the RR intervals"),
    "rmssd_ms": ("ms", "root mean square of successive RR differences"),
    "rr_irregularity": ("1", "median |successive RR difference| / median RR"),
    "hr_bpm": ("bpm", "heart rate, 60000 / median RR"),
    "p_presence": ("1", "fraction of beats with a detected P wave"),
    "n_beats": ("count", "beats detected in the lead"),
    "noise_mv": ("mV", "robust high-frequency noise: 1.4826 × median |cleaned − 15 Hz low-passed|"),
    "baseline_wander_mv": ("mV", "standard deviation of the signal below 0.5 Hz"),
    "snr_db": ("dB", "20·log10(median QRS peak-to-peak / noise)"),
}

FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)


def _sorted_finite(columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column of ``columns`` (beats × k) sorted with its non-finite values last, and its count of finite
    values."""
    columns = np.where(np.isfinite(columns), columns, np.nan)
    return np.sort(columns, axis=0), np.isfinite(columns).sum(axis=0)


def _medians(ordered: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Per column, the median of its finite values (:func:`_sorted_finite`); NaN where it has none."""
    cols = np.arange(ordered.shape[1])
    upper = ordered[np.minimum(count // 2, len(ordered) - 1), cols]
    lower = ordered[np.maximum(count - 1, 0) // 2, cols]
    return np.where(count > 0, np.where(count % 2 == 1, upper, (lower + upper) / 2), np.nan)


def _iqrs(ordered: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Per column, the interquartile range of its finite values (linear interpolation, as ``np.percentile``); NaN
    with fewer than 2."""
    cols = np.arange(ordered.shape[1])
    quartiles = []
    for q in (0.25, 0.75):
        position = q * (np.maximum(count, 1) - 1)
        lo = np.floor(position).astype(int)
        hi = np.minimum(lo + 1, np.maximum(count, 1) - 1)
        t = position - lo
        a, b = ordered[lo, cols], ordered[hi, cols]
        quartiles.append(np.where(t >= 0.5, b - (b - a) * (1 - t), a + (b - a) * t))
    return np.where(count >= 2, quartiles[1] - quartiles[0], np.nan)


def _level_at(x: np.ndarray, positions: np.ndarray, base: np.ndarray) -> np.ndarray:
    """x at each beat's (float, NaN when absent) sample position minus the beat's PR level ``base``; NaN where
    absent."""
    out = np.full(len(positions), np.nan)
    found = np.isfinite(positions)
    out[found] = x[positions[found].astype(int)] - base[found]
    return out


def baseline_wander(raw: np.ndarray, sampling_rate: float) -> np.ndarray:
    """Standard deviation (mV) of each column of ``raw`` (samples × leads, unfiltered, mV) below 0.5 Hz, its
    missing samples set to its median: the ``baseline_wander_mv`` feature of every lead in one filter call."""
    raw = np.asarray(raw, dtype=np.float64).reshape(len(raw), -1)
    finite = np.where(np.isfinite(raw), raw, np.nanmedian(raw, axis=0))
    return np.std(bandpass(finite, sampling_rate, None, 0.5), axis=0)


def lead_features(d: Delineation, j: int, raw: np.ndarray, baseline_wander_mv: float | None = None
                  ) -> dict[str, float]:
    """Features of lead ``j`` of delineation ``d``; ``raw`` is that lead's unfiltered signal (mV), used only for
    ``baseline_wander_mv`` when that is not given (:func:`baseline_wander`, computed for all leads at once).

    Returns a dict over :data:`FEATURE_NAMES` (NaN where a wave was not found).
    """
    fs = d.sampling_rate
    to_ms = 1000.0 / fs
    xc, xs = d.cleaned[:, j], d.smooth[:, j]
    pts = d.lead(j)
    nb = len(pts["qrs_peak"])
    base = d.baseline[j, :nb]
    out = dict.fromkeys(FEATURE_NAMES, np.nan)
    noise = 1.4826 * float(np.median(np.abs(xc - xs)))
    out["noise_mv"] = noise

    out["baseline_wander_mv"] = float(baseline_wander(raw, fs)[0] if baseline_wander_mv is None
                                      else baseline_wander_mv)
    out["n_beats"] = float(nb)
    if nb == 0:
        return out
    on, off, r = pts["qrs_on"], pts["qrs_off"], pts["qrs_peak"]
    beats = qrs_st_t_measurements(np.ascontiguousarray(xc), np.ascontiguousarray(xs), on, off, pts["t_off"],
                                  np.ascontiguousarray(base), fs)
    qa, ra, sa, qarea, qabs, notches, p2p, st, tarea = beats.T
    t_amp = _level_at(xs, pts["t_peak"], base)
    pp = pts["p_peak"]
    p_on, p_off = pts["p_on"], pts["p_off"]
    p_amp = _level_at(xs, pp, base)
    rr = np.diff(r) * to_ms if nb > 1 else np.zeros(0)
    rr_before = np.concatenate([[np.nan], rr])
    qrs_dur = (off - on) * to_ms
    qt = (pts["t_off"] - on) * to_ms
    with np.errstate(invalid="ignore", divide="ignore"):
        qtc = qt / np.sqrt(rr_before / 1000.0)
        rs = np.minimum(ra / np.maximum(np.abs(sa), 0.01), 50.0)
    # one sort for every per-beat median and interquartile range (a median per call costs more than the sort)
    per_beat = {"p_amp_mv": p_amp, "q_amp_mv": qa, "r_amp_mv": ra, "s_amp_mv": sa, "t_amp_mv": t_amp,
                "p_dur_ms": (p_off - p_on) * to_ms, "pr_ms": (on - p_on) * to_ms, "qrs_dur_ms": qrs_dur, "qt_ms": qt,
                "qtc_ms": qtc, "st_level_mv": st, "t_area_mvms": tarea, "t_polarity": np.sign(t_amp),
                "rs_ratio": rs, "qrs_area_mvms": qarea, "qrs_abs_area_mvms": qabs, "qrs_notches": notches,
                "p2p": p2p}
    ordered, count = _sorted_finite(np.column_stack(list(per_beat.values())))
    medians = dict(zip(per_beat, _medians(ordered, count).tolist()))
    spread = ["qrs_dur_ms", "qt_ms", "r_amp_mv", "t_amp_mv"]
    columns = [list(per_beat).index(name) for name in spread]
    iqrs = _iqrs(ordered[:, columns], count[columns]).tolist()
    p2p_med = medians.pop("p2p")
    out.update(medians)
    out.update({f"{name}_iqr": value for name, value in zip(spread, iqrs)})
    out["p_presence"] = float(np.isfinite(pp).mean())
    if len(rr):
        rr_med = float(np.median(rr))
        out.update({
            "rr_mean_ms": float(rr.mean()), "rr_sd_ms": float(rr.std(ddof=1)) if len(rr) > 1 else np.nan,
            "rmssd_ms": float(np.sqrt(np.mean(np.diff(rr) ** 2))) if len(rr) > 1 else np.nan,
            "rr_irregularity": float(np.median(np.abs(np.diff(rr))) / rr_med) if len(rr) > 1 else np.nan,
            "hr_bpm": 60000.0 / rr_med,
        })
    out["snr_db"] = float(20 * np.log10(p2p_med / noise)) if noise > 0 and np.isfinite(p2p_med) else np.nan
    return out
