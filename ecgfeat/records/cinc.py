"""PhysioNet/CinC Challenge 2020/2021 layout: any folder tree of ``.hea`` + ``.mat`` with ``#Dx`` SNOMED-CT codes.

Also reads "A large scale 12-lead ECG database for arrhythmia study" (PhysioNet ``ecg-arrhythmia``), which uses
the same header convention under ``WFDBRecords/``.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..exceptions import DataNotFoundError
from .index import IndexBuild, header_row, iter_headers

_JS_RE = re.compile(r"^JS(\d+)$")
_HR_RE = re.compile(r"^HR(\d+)$")


def cinc_source(record_id: str) -> str:
    """Source database of a Challenge record, from its prefix (A, Q, I, S, HR, E, JS)."""
    if m := _JS_RE.match(record_id):
        return "Chapman-Shaoxing" if int(m[1]) <= 10646 else "Ningbo"
    if record_id.startswith("HR"):
        return "PTB-XL"
    return {"A": "CPSC2018", "Q": "CPSC2018-extra", "I": "INCART", "S": "PTB", "E": "Georgia"}.get(
        record_id[:1], "unknown")


def ecg_key(record_id: str, dataset: str) -> str:
    """Identity of the underlying ECG across datasets (PTB-XL ecg_id; Chapman/Ningbo JS number)."""
    if m := _HR_RE.match(record_id):
        return f"ptbxl:{int(m[1])}"
    if _JS_RE.match(record_id):
        return f"chapman-ningbo:{record_id}"
    return f"{dataset}:{record_id}"


def read_index(root: str | Path, *, dataset: str = "cinc2021") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Index every WFDB record under ``root`` whose header carries CinC-style comments; return (index, qc)."""
    root = Path(root)
    if not root.is_dir():
        raise DataNotFoundError(f"{dataset}: folder {root} not found")
    build = IndexBuild(dataset, root=root)
    for path in iter_headers(root):
        rec = path.name
        row = header_row(build, path, source=cinc_source(rec) if dataset == "cinc2021" else dataset,
                         ecg_key=ecg_key(rec, dataset))
        if row is not None:
            build.rows.append(row)
    return build.result()


def read_arrhythmia_index(root: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Index "A large scale 12-lead ECG database for arrhythmia study" at ``root`` (walks ``WFDBRecords``)."""
    root = Path(root)
    records = root / "WFDBRecords"
    if not records.is_dir():
        raise DataNotFoundError(f"ecg-arrhythmia: {records} not found")
    return read_index(records, dataset="ecg-arrhythmia")


def read_condition_names(root: str | Path) -> pd.DataFrame:
    """``ConditionNames_SNOMED-CT.csv`` (acronym, full name, SNOMED-CT code; the file has a UTF-8 BOM)."""
    return pd.read_csv(Path(root) / "ConditionNames_SNOMED-CT.csv", encoding="utf-8-sig",
                       dtype={"Snomed_CT": str})
