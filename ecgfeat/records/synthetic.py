"""A synthetic 12-lead cohort with abnormalities planted in known leads (clearly labelled ``synthetic``).

Each record starts from one ECGSYN beat train (:mod:`ecgfeat.records.ecgsyn`: McSharry et al.'s model of
heart-rate variability and P-QRS-T morphology, computed without BLAS or an adaptive solver so that a cohort is the
same on every machine), projected to 12 leads with lead-specific gains (aVR inverted, V1 mostly negative, …) and
independent noise. Each condition is then planted in exactly one lead, so a correct lead-importance analysis must
rank that lead first for that condition:

=========  ======  ====================================================================
label      lead    change
=========  ======  ====================================================================
TWI_V2     V2      T wave (and ST segment) inverted
STE_II     II      ST segment raised by 0.25 mV from the J point to the T wave
LQRSV_V5   V5      QRS complex scaled to 30 %
RSR_V1     V1      a terminal R' wave (+0.6 mV, 70 ms after R)
=========  ======  ====================================================================
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from .._constants import LEADS
from .ecgsyn import ecgsyn
from .record import EcgRecord

PLANTED: dict[str, str] = {"TWI_V2": "V2", "STE_II": "II", "LQRSV_V5": "V5", "RSR_V1": "V1"}
_GAINS = {"I": 0.6, "II": 1.0, "III": 0.45, "aVR": -0.8, "aVL": 0.25, "aVF": 0.7, "V1": -0.55, "V2": 0.5,
          "V3": 0.8, "V4": 1.2, "V5": 1.1, "V6": 0.9}


def _windows(n: int, fs: float, rpeaks: np.ndarray, start_ms: float, end_ms: float, taper_ms: float = 20):
    """0..1 mask, 1 between R+start and R+end for every beat, with cosine tapers."""
    w = np.zeros(n)
    t = np.arange(n)
    for r in rpeaks:
        a, b = r + start_ms * fs / 1000, r + end_ms * fs / 1000
        tap = taper_ms * fs / 1000
        rise = np.clip((t - (a - tap)) / tap, 0, 1)
        fall = np.clip(((b + tap) - t) / tap, 0, 1)
        w = np.maximum(w, np.minimum(rise, fall))
    return 0.5 - 0.5 * np.cos(np.pi * w)


def simulate_record(record_id: str, labels: dict[str, int], rng: np.random.Generator, sampling_rate: float = 500.0,
                    duration_s: float = 10.0) -> EcgRecord:
    """One synthetic 12-lead record with the planted conditions in ``labels`` (name → 0/1)."""
    fs = sampling_rate
    hr = float(rng.uniform(55, 95))
    base, r = ecgsyn(duration_s, fs, hr, np.random.default_rng(int(rng.integers(2**31))))
    n = len(base)
    qrs = _windows(n, fs, r, -45, 45, 10)
    st_t = _windows(n, fs, r, 60, 60000 / hr * 0.45, 30)
    st = _windows(n, fs, r, 50, 230, 30)
    leads = []
    for lead in LEADS:
        g = _GAINS[lead] * rng.uniform(0.8, 1.2)
        x = g * base
        if lead == "V1":  # rS-like: small R, deep S
            x = np.where(qrs > 0, x * 0.4, x)
        if labels.get("TWI_V2") and lead == "V2":
            x = x * (1 - 2 * st_t)
        if labels.get("STE_II") and lead == "II":
            x = x + 0.25 * st
        if labels.get("LQRSV_V5") and lead == "V5":
            x = x * (1 - 0.7 * qrs)
        if labels.get("RSR_V1") and lead == "V1":
            t = np.arange(n)
            for rp in r:
                x = x + 0.6 * np.exp(-0.5 * ((t - rp - 0.07 * fs) / (0.015 * fs)) ** 2)
        x = x + rng.normal(0, 0.015, n) + 0.05 * np.sin(2 * np.pi * rng.uniform(0.1, 0.3) * np.arange(n) / fs
                                                        + rng.uniform(0, 6.3))
        leads.append(x)
    return EcgRecord(record_id=record_id, signal=np.stack(leads, axis=1).astype(np.float32), sampling_rate=fs,
                     leads=LEADS, dataset="synthetic", code_system="synthetic",
                     codes=tuple(k for k, v in labels.items() if v))


def simulate_cohort(n_records: int = 240, prevalence: float = 0.35, random_state: int = 0,
                    n_jobs: int = 1) -> tuple[list[EcgRecord], pd.DataFrame]:
    """``n_records`` synthetic records and their 0/1 labels (one column per planted condition)."""
    rng = np.random.default_rng(random_state)
    labels = pd.DataFrame((rng.random((n_records, len(PLANTED))) < prevalence).astype(float),
                          columns=list(PLANTED), index=[f"SYN{i:05d}" for i in range(n_records)])
    seeds = rng.integers(2**31, size=n_records)
    records = Parallel(n_jobs=n_jobs)(
        delayed(simulate_record)(rid, labels.loc[rid].to_dict(), np.random.default_rng(int(s)))
        for rid, s in zip(labels.index, seeds))
    return records, labels
