"""Record indexes: one row per record, built from headers and metadata only (no signal is read).

An index is a :class:`pandas.DataFrame` with the columns in :data:`INDEX_COLUMNS`; problems found while
building it go to a QC table (record, path, dataset, severity, problem) instead of stopping the build.
"""
from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

from ..exceptions import InvalidRecordError, LabelMappingWarning
from .header import read_header
from .header_fields import parse_age, parse_dx, parse_sex
from .record import EcgRecord, check_signal_files, map_leads, read_signal

logger = logging.getLogger(__name__)

INDEX_COLUMNS = ["record_id", "dataset", "source", "path", "sampling_rate", "n_samples", "leads",
                 "patient_id", "age", "sex", "codes", "code_system", "ecg_key", "strat_fold", "extra"]
QC_COLUMNS = ["record_id", "path", "dataset", "severity", "problem"]


@dataclass
class IndexBuild:
    """Rows and QC entries collected while indexing one dataset."""

    dataset: str
    root: Path | None = None  # the dataset folder every header must resolve inside
    rows: list[dict[str, Any]] = field(default_factory=list)
    qc: list[dict[str, Any]] = field(default_factory=list)

    def problem(self, record_id: str, path: str | Path, problem: str, severity: str = "error") -> None:
        self.qc.append({"record_id": record_id, "path": str(path), "dataset": self.dataset,
                        "severity": severity, "problem": problem})
        log = logger.warning if severity == "warning" else logger.error
        log("%s record '%s': %s", self.dataset, record_id, problem)

    def result(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(index, qc); a record id seen twice in the dataset keeps its first row, the others get a QC row."""
        seen: dict[str, str] = {}
        rows = []
        for row in self.rows:
            rid = row["record_id"]
            if rid in seen:
                self.problem(rid, row["path"], f"record id also at {seen[rid]}: (record_id, dataset) must be unique; "
                             "this copy is left out")
                continue
            seen[rid] = row["path"]
            rows.append(row)
        index = pd.DataFrame(rows, columns=INDEX_COLUMNS)
        if len(index):
            index["sampling_rate"] = index["sampling_rate"].astype(float)
            index["n_samples"] = index["n_samples"].astype(int)
            index["age"] = index["age"].astype(float)
        return index.reset_index(drop=True), pd.DataFrame(self.qc, columns=QC_COLUMNS)


def header_row(build: IndexBuild, path: Path, **meta: Any) -> dict[str, Any] | None:
    """Parse one header into an index row (or a QC entry and None). ``meta`` overrides parsed fields.

    Checks, without reading samples: header syntax and signal count, recognised lead names, ADC gain and
    units, presence and size of the signal files, and the ``#Dx`` line.
    """
    rec = path.name
    try:
        header = read_header(path, root=build.root)
        cols, leads, others = map_leads(header)
        if not cols:
            raise InvalidRecordError(f"no recognised ECG lead among {header.sig_names}")
        for i in cols:
            spec = header.signals[i]
            if spec.adc_gain == 0:
                raise InvalidRecordError(f"lead {spec.name} has ADC gain 0 (uncalibrated)")
            if spec.units.lower() not in {"mv", "uv", "µv", "μv", "v"}:
                raise InvalidRecordError(f"lead {spec.name} has unknown units {spec.units!r}")
        check_signal_files(header, cols)
    except InvalidRecordError as exc:
        msg = str(exc)
        prefix = f"Record '{rec}': "
        build.problem(rec, path, msg[len(prefix):] if msg.startswith(prefix) else msg)
        return None
    if others:
        build.problem(rec, path, f"signals {others} are not ECG leads; left out", "warning")
    if len(leads) < 12:
        build.problem(rec, path, f"has {len(leads)} of 12 leads: {','.join(leads)}", "warning")
    fields = header.comment_fields()
    row: dict[str, Any] = {
        "record_id": header.record_name, "dataset": build.dataset, "source": build.dataset,
        "path": str(path), "sampling_rate": header.sampling_rate, "n_samples": header.n_samples,
        "leads": ",".join(leads), "patient_id": None, "age": parse_age(fields.get("age")),
        "sex": parse_sex(fields.get("sex")), "codes": [], "code_system": "snomed",
        "ecg_key": f"{build.dataset}:{header.record_name}", "strat_fold": np.nan, "extra": "{}",
    }
    if "dx" in fields or "codes" not in meta:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LabelMappingWarning)
            row["codes"] = parse_dx(fields.get("dx", ""), rec)
        for w in caught:
            build.problem(rec, path, str(w.message).removeprefix(f"Record '{rec}': "), "warning")
        if "dx" not in fields and "codes" not in meta:
            build.problem(rec, path, "header has no #Dx line; record has no labels", "warning")
    row.update(meta)
    return row


def iter_headers(root: Path, pattern: str = "*.hea") -> Iterator[Path]:
    """Header paths (without ``.hea``) under ``root``, sorted, walking folders in sorted order."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            if fn.endswith(".hea"):
                yield Path(dirpath) / fn[:-4]


def load_record(row: pd.Series | dict) -> EcgRecord:
    """Read the signal of one index row into an :class:`EcgRecord` (codes and metadata from the row)."""
    header = read_header(row["path"])
    signal, leads = read_signal(header)
    pid = row.get("patient_id")
    age = row.get("age")
    return EcgRecord(
        record_id=str(row["record_id"]), signal=signal, sampling_rate=header.sampling_rate, leads=leads,
        dataset=str(row["dataset"]), patient_id=None if pid is None or pd.isna(pid) else str(pid),
        age=None if age is None or pd.isna(age) else float(age), sex=row.get("sex"),
        codes=tuple(row["codes"]), code_system=str(row["code_system"]))


def iter_records(index: pd.DataFrame, qc: list | None = None) -> Iterator[EcgRecord]:
    """Yield records one at a time (memory: one signal). Unreadable records go to ``qc`` and are skipped."""
    for _, row in index.iterrows():
        try:
            yield load_record(row)
        except InvalidRecordError as exc:
            if qc is None:
                raise
            qc.append({"record_id": row["record_id"], "path": row["path"], "dataset": row["dataset"],
                       "severity": "error", "problem": str(exc)})


def save_index(index: pd.DataFrame, path: str | Path) -> None:
    """Write an index to CSV (codes joined with ';')."""
    out = index.copy()
    out["codes"] = out["codes"].map(";".join)
    out.to_csv(path, index=False)


def read_saved_index(path: str | Path) -> pd.DataFrame:
    """Read an index written by :func:`save_index`."""
    index = pd.read_csv(path, dtype={"record_id": str, "patient_id": str, "codes": str, "leads": str},
                        keep_default_na=True)
    index["codes"] = index["codes"].fillna("").map(lambda s: [c for c in s.split(";") if c])
    index["extra"] = index["extra"].fillna("{}")
    index["patient_id"] = index["patient_id"].astype(object).where(index["patient_id"].notna(), None)
    return index
