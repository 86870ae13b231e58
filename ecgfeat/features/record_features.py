"""`extract_record_features`: one record → one row of per-lead features, plus per-lead QC entries."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np

from .._constants import LEADS
from ..records.record import EcgRecord
from ..records.resample import resample_signal
from .ecg_delineate import check_delineation, ecg_delineate, lead_usable
from .lead_features import FEATURE_NAMES, FEATURE_SCHEMA_VERSION, baseline_wander, lead_features

logger = logging.getLogger(__name__)

MIN_BEATS = 2

#: A lead whose robust peak-to-peak amplitude (0.5th to 99.5th percentile) exceeds this is unusable: no body
#: surface ECG reaches it; it means wrong units or gain (mV).
MAX_LEAD_RANGE_MV = 30.0
#: A lead whose heart rate falls outside this range is unusable: its beat detection failed (bpm).
HEART_RATE_RANGE_BPM = (20.0, 300.0)
#: Beat consistency below this makes a lead unusable: the median correlation of its beats (250 ms before to 450
#: ms after each R, 15 Hz low-passed) with their median beat. Real leads of the shared sample (schema 12, 2,997
#: leads): 0.21 for one (JS20019 aVL, flagged), then 0.39 (0.1th percentile 0.43, median 0.99); Gaussian noise
#: leads that the detector finds "beats" in: over 200 trials (SD log-uniform in 0.05–1 mV, 10 s at 500 Hz)
#: 0.06–0.314, and 1 in 200 reaches 0.3 (the same at schema 11; schema 10: 0.315, 2 in 200), so about 0.5 % of
#: pure-noise leads pass this check. A template-matching signal-quality index (Orphanidou et al., IEEE JBHI 2015;
#: Li, Mark & Clifford, Physiol Meas 2008).
MIN_BEAT_CONSISTENCY = 0.3
#: Physiological ranges of single features; a value outside becomes NaN with a QC row (units as named).
FEATURE_RANGES: dict[str, tuple[float, float]] = {
    **{f"{w}_amp_mv": (-10.0, 10.0) for w in ("p", "q", "r", "s", "t")},
    "st_level_mv": (-10.0, 10.0),
    "qrs_dur_ms": (40.0, 250.0),
    "pr_ms": (50.0, 500.0),
    "p_dur_ms": (20.0, 250.0),
    "qt_ms": (150.0, 700.0),
    "qtc_ms": (200.0, 800.0),
    "rr_mean_ms": (200.0, 3000.0),
}


@dataclass(frozen=True)
class FeatureConfig:
    """Configuration of per-lead feature extraction (part of every cache key).

    method : 'ecgfeat' (default) or a NeuroKit2 ``ecg_delineate`` method: 'dwt', 'peak', 'prominence', 'cwt'
    anchors : 'lead' (each lead delineated from its own signal; leads stay independent feature groups) or
        'consensus' (beats found on all leads together; more robust, but a lead's features then depend on the
        other leads) — only for method='ecgfeat'
    sampling_rate : resample every record to this rate (Hz) first; None keeps the record's rate
    leads : leads to extract (default all 12); a record lacking one gets NaN features for it
    """

    method: str = "ecgfeat"
    anchors: str = "lead"
    sampling_rate: float | None = None
    leads: tuple[str, ...] = LEADS

    def validate(self) -> "FeatureConfig":
        check_delineation(self.method, self.anchors)
        if self.sampling_rate is not None and self.sampling_rate <= 0:
            raise ValueError(f"sampling_rate must be positive, got {self.sampling_rate}")
        unknown = [lead for lead in self.leads if lead not in LEADS]
        if unknown:
            raise ValueError(f"unknown leads {unknown}; expected names from {list(LEADS)}")
        return self

    def key(self) -> dict:
        """What the cached features of a record depend on (a change gives new cache entries)."""
        key = {**asdict(self), "leads": list(self.leads), "schema": FEATURE_SCHEMA_VERSION}
        if self.method == "cwt":
            key["neurokit_cwt"] = 2  # 2: P and T waves kept when NeuroKit2 returns them for fewer beats than R peaks
        return key


def feature_columns(leads: tuple[str, ...] = LEADS) -> list[str]:
    """Column names ``"{lead}__{feature}"``, lead-major."""
    return [f"{lead}__{name}" for lead in leads for name in FEATURE_NAMES]


def beat_consistency(x: np.ndarray, r: np.ndarray, fs: float, before_s: float = 0.25, after_s: float = 0.45,
                     ) -> float:
    """Median correlation of each beat (``before_s`` before to ``after_s`` after its R, in s) with the median
    beat of the lead ``x`` (mV); NaN with fewer than 3 complete beats."""
    a, b = int(before_s * fs), int(after_s * fs)
    r = r[np.isfinite(r)].astype(int)
    r = r[(r >= a) & (r < len(x) - b)]
    if len(r) < 3:
        return float("nan")
    beats = x[r[:, None] + np.arange(-a, b)[None, :]]
    beats = beats - beats.mean(axis=1, keepdims=True)
    template = np.median(beats, axis=0)
    template = template - template.mean()
    corr = beats @ template / (np.linalg.norm(beats, axis=1) * np.linalg.norm(template) + 1e-12)
    return float(np.median(corr))


def log_lead_problem(record_id: str, lead: str, problem: str) -> None:
    """The logged warning for a lead whose features are NaN."""
    logger.warning("Record '%s' lead %s: %s; %d features set to NaN", record_id, lead, problem, len(FEATURE_NAMES))


def extract_record_features(record: EcgRecord, config: FeatureConfig = FeatureConfig(), *, log: bool = True,
                            ) -> tuple[dict[str, float], list[dict]]:
    """Features of one record.

    Returns
    -------
    row : dict ``"{lead}__{feature}" -> float`` over :func:`feature_columns` of ``config.leads``
    qc : list of dicts (record_id, lead, severity, problem): leads that are absent, unusable (flat, NaN) or
        had fewer than 2 beats get NaN features and an entry here (and a logged warning unless ``log=False``).
    """
    config.validate()
    fs = float(record.sampling_rate)
    signal = record.signal
    if config.sampling_rate is not None and config.sampling_rate != fs:
        bad = ~np.isfinite(signal)
        signal = resample_signal(np.where(bad, 0.0, signal), fs, config.sampling_rate)
        mostly_missing = bad.mean(axis=0) > 0.1  # keep unusable leads unusable after resampling
        signal[:, mostly_missing] = np.nan
        fs = float(config.sampling_rate)
    present = [lead for lead in config.leads if lead in record.leads]
    cols = [record.leads.index(lead) for lead in present]
    x = signal[:, cols].astype(np.float64) if cols else np.zeros((signal.shape[0], 0))
    usable = np.array([lead_usable(x[:, j]) for j in range(x.shape[1])], dtype=bool)
    d = ecg_delineate(x, fs, method=config.method, anchors=config.anchors)
    wander = np.full(x.shape[1], np.nan)
    if usable.any():
        wander[usable] = baseline_wander(x[:, usable], fs)
    row = dict.fromkeys(feature_columns(config.leads), np.nan)
    qc: list[dict] = []

    def problem(lead: str, msg: str) -> None:
        qc.append({"record_id": record.record_id, "lead": lead, "severity": "warning", "problem": msg})
        if log:
            log_lead_problem(record.record_id, lead, msg)

    for lead in config.leads:
        if lead not in present:
            problem(lead, "lead not in record")
    for j, lead in enumerate(present):
        if not usable[j]:
            frac = float(np.mean(~np.isfinite(x[:, j])))
            problem(lead, f"unusable signal ({frac:.0%} missing samples)" if frac > 0.1
                    else "flat signal (SD < 0.1 µV)")
            continue
        lo, hi = np.nanpercentile(x[:, j], [0.5, 99.5])
        if hi - lo > MAX_LEAD_RANGE_MV:
            problem(lead, f"implausible amplitude: {hi - lo:.3g} mV peak to peak (at most {MAX_LEAD_RANGE_MV:g}; "
                          "wrong units or gain?)")
            continue
        if d.n_beats[j] < MIN_BEATS:
            problem(lead, f"{d.n_beats[j]} beats detected in {x.shape[0] / fs:.1f} s")
            continue
        consistency = beat_consistency(d.smooth[:, j], d.points[j, :d.n_beats[j], 0], fs)
        if consistency < MIN_BEAT_CONSISTENCY:
            problem(lead, f"no consistent beats (beat consistency {consistency:.2f} < {MIN_BEAT_CONSISTENCY}): noise "
                          "or failed detection")
            continue
        try:
            feats = lead_features(d, j, x[:, j], baseline_wander_mv=float(wander[j]))
        except Exception as exc:  # never let one lead stop a 45,000-record run
            problem(lead, f"feature computation failed ({type(exc).__name__}: {exc})")
            continue
        hr = feats.get("hr_bpm", np.nan)
        low, high = HEART_RATE_RANGE_BPM
        if not low <= hr <= high:
            problem(lead, f"implausible heart rate {hr:.0f} bpm (accepted {low:g}–{high:g}; beat detection failed)")
            continue
        for name, (a, b) in FEATURE_RANGES.items():
            value = feats.get(name, np.nan)
            if np.isfinite(value) and not a <= value <= b:
                feats[name] = np.nan
                qc.append({"record_id": record.record_id, "lead": lead, "severity": "info",
                           "problem": f"implausible {name} = {value:.4g} (accepted {a:g} to {b:g}); set to NaN"})
        for name, value in feats.items():
            row[f"{lead}__{name}"] = value
    return row, qc

