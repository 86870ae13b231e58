"""Fast, validating parser for WFDB ``.hea`` headers (metadata only, no signal I/O).

An index of 45,000 records reads only headers, so this parser avoids ``wfdb.rdheader``'s
overhead and checks what ecgfeat relies on: the signal count, the sampling rate, the
gain and units of every lead, and the ``#Key: value`` comment lines used by CinC,
ecg-arrhythmia and LUDB.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..exceptions import InvalidRecordError
from .files import MAX_SAMPLES, MAX_SIGNALS, SAMPLING_RATE_RANGE_HZ, check_file_name, read_header_text

_GAIN_RE = re.compile(r"^(?P<gain>[-+0-9.eE]+)(?:\((?P<baseline>[-+0-9]+)\))?(?:/(?P<units>\S+))?$")


@dataclass(frozen=True)
class SignalSpec:
    """One signal line of a WFDB header."""

    file_name: str
    fmt: str
    adc_gain: float  # digital units per physical unit
    baseline: int  # digital value of 0 physical units
    units: str
    name: str


@dataclass(frozen=True)
class WfdbHeader:
    """The parsed header of one WFDB record."""

    path: Path  # header path without the ``.hea`` suffix
    record_name: str
    sampling_rate: float  # Hz
    n_samples: int
    signals: tuple[SignalSpec, ...]
    comments: tuple[str, ...] = field(default=())

    @property
    def sig_names(self) -> list[str]:
        return [s.name for s in self.signals]

    def comment_fields(self) -> dict[str, str]:
        """``#Key: value`` comment lines as a dict (CinC ``Age``/``Sex``/``Dx``, LUDB ``<age>``)."""
        out: dict[str, str] = {}
        for line in self.comments:
            key, sep, value = line.partition(":")
            if sep:
                out[key.strip().strip("<>").lower()] = value.strip()
        return out


def read_header(path: str | Path, root: str | Path | None = None) -> WfdbHeader:
    """Parse ``path`` (with or without ``.hea``) into a :class:`WfdbHeader`.

    root : the dataset folder the header must resolve inside (symlinks followed); None: no such check

    Raises
    ------
    InvalidRecordError
        When the file is missing, not a regular file, larger than 1 MiB or outside ``root``; the record line
        is malformed; the sampling rate is not finite or outside 50–20,000 Hz; the sample count is not positive
        (or above 86.4 million); the number of signal lines differs from the declared signal count; a signal
        file name is not a plain file name; or a gain/format field cannot be parsed.
    """
    p = Path(path)
    if p.suffix == ".hea":
        p = p.with_suffix("")
    hea = p.with_name(p.name + ".hea")
    rec = p.name
    text = read_header_text(rec, hea, None if root is None else Path(root))
    lines = [ln.strip() for ln in text.splitlines()]
    comments = tuple(ln[1:].strip() for ln in lines if ln.startswith("#"))
    body = [ln for ln in lines if ln and not ln.startswith("#")]
    if not body:
        raise InvalidRecordError(f"Record '{rec}': header {hea} is empty")
    head = body[0].split()
    if len(head) < 2:
        raise InvalidRecordError(f"Record '{rec}': malformed record line {body[0]!r}")
    name = head[0].split("/")[0]
    try:
        n_sig = int(head[1])
        fs = float(head[2].split("/")[0]) if len(head) > 2 else 250.0
        n_samples = int(head[3]) if len(head) > 3 else 0
    except ValueError:
        raise InvalidRecordError(f"Record '{rec}': malformed record line {body[0]!r}") from None
    low, high = SAMPLING_RATE_RANGE_HZ
    if not low <= fs <= high:  # also catches NaN and inf
        raise InvalidRecordError(f"Record '{rec}': sampling rate {fs} Hz is outside the {low:g}–{high:g} Hz of an "
                                 "ECG")
    if not 0 < n_samples <= MAX_SAMPLES:
        raise InvalidRecordError(f"Record '{rec}': sample count {n_samples} is not in 1–{MAX_SAMPLES}")
    if not 0 < n_sig <= MAX_SIGNALS:
        raise InvalidRecordError(f"Record '{rec}': signal count {n_sig} is not in 1–{MAX_SIGNALS}")
    sig_lines = body[1:]
    if len(sig_lines) != n_sig:
        raise InvalidRecordError(
            f"Record '{rec}': header declares {n_sig} signals but has {len(sig_lines)} signal lines")
    signals = []
    for i, ln in enumerate(sig_lines):
        parts = ln.split()
        if len(parts) < 2:
            raise InvalidRecordError(f"Record '{rec}': malformed signal line {i + 1}: {ln!r}")
        gain, baseline, units = 200.0, 0, "mV"
        adc_zero = 0
        if len(parts) > 4:
            try:
                adc_zero = int(parts[4])
            except ValueError:
                pass
        baseline = adc_zero
        if len(parts) > 2:
            m = _GAIN_RE.match(parts[2])
            if not m:
                raise InvalidRecordError(f"Record '{rec}': cannot parse gain {parts[2]!r} on signal line {i + 1}")
            gain = float(m["gain"])
            if m["baseline"] is not None:
                baseline = int(m["baseline"])
            units = m["units"] or "mV"
        sig_name = " ".join(parts[8:]) if len(parts) > 8 else f"sig{i}"
        if not math.isfinite(gain):
            raise InvalidRecordError(f"Record '{rec}': gain {parts[2]!r} on signal line {i + 1} is not finite")
        signals.append(SignalSpec(check_file_name(rec, parts[0]), parts[1], gain, baseline, units, sig_name))
    return WfdbHeader(p, name, fs, n_samples, tuple(signals), comments)
