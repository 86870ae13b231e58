"""`EcgRecord` and `read_record`: one ECG as a float32 array in mV with canonical lead names."""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import wfdb

from .._constants import LEADS, UNIT_TO_MV, canonical_lead
from ..exceptions import InvalidRecordError, LeadQualityWarning
from .files import check_signal_file
from .header import WfdbHeader, read_header
from .header_fields import parse_age, parse_dx, parse_sex

logger = logging.getLogger(__name__)

# WFDB's "invalid sample" markers per storage format.
_INVALID_SAMPLE = {"16": -32768, "80": -128, "212": -2048, "24": -(2**23), "32": -(2**31), "61": -32768}


@dataclass(frozen=True, eq=False)
class EcgRecord:
    """One ECG.

    Attributes
    ----------
    record_id : str
        Record name as in its dataset (``'JS00001'``, ``'00001_hr'``, ``'HR00001'``).
    signal : ndarray of shape (n_samples, n_leads), float32, in mV
        Leads in canonical order (I, II, III, aVR, aVL, aVF, V1–V6), restricted to ``leads``.
    sampling_rate : float, in Hz
    leads : tuple of str
        Canonical names of the columns of ``signal``, taken from the header.
    dataset, patient_id, age (years), sex ('F'/'M'), codes (raw label codes), code_system
        Metadata from the header and the dataset's tables; None where unknown.
    """

    record_id: str
    signal: np.ndarray
    sampling_rate: float
    leads: tuple[str, ...]
    dataset: str = "wfdb"
    patient_id: str | None = None
    age: float | None = None
    sex: str | None = None
    codes: tuple[str, ...] = field(default=())
    code_system: str = "snomed"

    @property
    def duration_s(self) -> float:
        return self.signal.shape[0] / self.sampling_rate

    def lead(self, name: str) -> np.ndarray:
        """Return one lead (1-D, mV) by canonical or header spelling."""
        canon = canonical_lead(name) or name
        if canon not in self.leads:
            raise KeyError(f"Record '{self.record_id}' has no lead {name!r}; it has {list(self.leads)}")
        return self.signal[:, self.leads.index(canon)]


def map_leads(header: WfdbHeader) -> tuple[list[int], list[str], list[str]]:
    """Map header signal names to canonical leads.

    Returns (column indices into the file's signals in canonical lead order, canonical lead names,
    names of signals that are not ECG leads). Raises on a lead that appears twice.
    """
    found: dict[str, int] = {}
    others: list[str] = []
    for i, spec in enumerate(header.signals):
        canon = canonical_lead(spec.name)
        if canon is None:
            others.append(spec.name)
            continue
        if canon in found:
            raise InvalidRecordError(
                f"Record '{header.record_name}': lead {canon} appears twice in the header "
                f"(signals {found[canon] + 1} and {i + 1})")
        found[canon] = i
    order = [lead for lead in LEADS if lead in found]
    return [found[lead] for lead in order], order, others


def _check_specs(header: WfdbHeader, cols: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rec = header.record_name
    gains, baselines, scales = [], [], []
    for i in cols:
        spec = header.signals[i]
        if spec.adc_gain == 0:
            raise InvalidRecordError(
                f"Record '{rec}': lead {spec.name} has ADC gain 0 (uncalibrated); "
                "cannot convert to mV without a gain")
        unit = spec.units.lower()
        if unit not in UNIT_TO_MV:
            raise InvalidRecordError(
                f"Record '{rec}': lead {spec.name} has unknown units {spec.units!r}; expected mV, uV or V")
        gains.append(spec.adc_gain)
        baselines.append(spec.baseline)
        scales.append(UNIT_TO_MV[unit])
    return np.asarray(gains), np.asarray(baselines), np.asarray(scales)


def check_signal_files(header: WfdbHeader, cols: list[int]) -> None:
    """Check every signal file holding the columns ``cols`` (confined, regular, sized, MAT v4 int16)."""
    for name in dict.fromkeys(header.signals[i].file_name for i in cols):
        specs = [s for s in header.signals if s.file_name == name]
        check_signal_file(header.record_name, header.path.with_name(header.path.name + ".hea"), name,
                          specs[0].fmt, header.n_samples, len(specs))


def read_signal(header: WfdbHeader) -> tuple[np.ndarray, tuple[str, ...]]:
    """Read the samples of a parsed header; return (signal in mV float32, canonical leads).

    Invalid-sample markers and non-finite values become NaN with a :class:`LeadQualityWarning`
    naming the record, lead and count.
    """
    rec = header.record_name
    cols, leads, others = map_leads(header)
    if not cols:
        raise InvalidRecordError(
            f"Record '{rec}': none of the signals {header.sig_names} is a recognised ECG lead; "
            "expected I–III, aVR, aVL, aVF, V1–V6")
    if others:
        logger.warning("Record '%s': signals %s are not ECG leads and are left out", rec, others)
    gains, baselines, scales = _check_specs(header, cols)
    check_signal_files(header, cols)
    try:
        wrec = wfdb.rdrecord(str(header.path), physical=False, channels=cols)
    except Exception as exc:  # wfdb raises ValueError/IndexError/struct errors on damaged files
        raise InvalidRecordError(
            f"Record '{rec}': signal file could not be read ({type(exc).__name__}: {exc}); "
            "is it truncated or corrupted?") from exc
    digital = np.asarray(wrec.d_signal)
    if digital.ndim != 2 or digital.shape[1] != len(cols):
        raise InvalidRecordError(f"Record '{rec}': signal has shape {digital.shape}, expected (n, {len(cols)})")
    if header.n_samples and digital.shape[0] != header.n_samples:
        raise InvalidRecordError(
            f"Record '{rec}': read {digital.shape[0]} samples, header says {header.n_samples} (truncated file?)")
    invalid = np.zeros(digital.shape, dtype=bool)
    for j, i in enumerate(cols):
        marker = _INVALID_SAMPLE.get(header.signals[i].fmt.split("+")[0])
        if marker is not None:
            invalid[:, j] = digital[:, j] == marker
    signal = ((digital - baselines) / gains * scales).astype(np.float32)
    invalid |= ~np.isfinite(signal)
    if invalid.any():
        signal[invalid] = np.nan
        for j in np.flatnonzero(invalid.any(axis=0)):
            warnings.warn(
                f"Record '{rec}' lead {leads[j]}: {int(invalid[:, j].sum())} of {len(signal)} samples are "
                "missing (NaN); features of this lead may be NaN", LeadQualityWarning, stacklevel=2)
    return signal, tuple(leads)


def read_record(path: str | Path, *, dataset: str = "wfdb", patient_id: str | None = None,
                codes: tuple[str, ...] | None = None, code_system: str = "snomed") -> EcgRecord:
    """Read one WFDB record (``.hea`` + ``.dat``/``.mat``) into an :class:`EcgRecord`.

    Age, sex and ``#Dx`` codes are taken from the header comments unless ``codes`` is given
    (PTB-XL keeps its codes in ``ptbxl_database.csv``).

    Examples
    --------
    >>> rec = read_record("../shared/data/ptb-xl/records500/00000/00001_hr")  # doctest: +SKIP
    >>> rec.signal.shape, rec.leads[3]
    ((5000, 12), 'aVR')
    """
    header = read_header(path)
    signal, leads = read_signal(header)
    fields = header.comment_fields()
    if codes is None:
        codes = tuple(parse_dx(fields.get("dx", ""), header.record_name))
    return EcgRecord(
        record_id=header.record_name, signal=signal, sampling_rate=header.sampling_rate, leads=leads,
        dataset=dataset, patient_id=patient_id, age=parse_age(fields.get("age")),
        sex=parse_sex(fields.get("sex")), codes=tuple(codes), code_system=code_system)
