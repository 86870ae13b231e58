"""Detect a dataset's layout and index it; index several datasets into one table."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

from ..exceptions import DataNotFoundError
from . import cinc, ludb, ptbxl

DATASETS = ("ptb-xl", "ecg-arrhythmia", "cinc2021", "ludb")


def detect_dataset(root: str | Path) -> str:
    """Name of the dataset layout found at ``root`` (one of :data:`DATASETS`)."""
    root = Path(root)
    if not root.is_dir():
        raise DataNotFoundError(f"{root} is not a folder")
    if (root / "ptbxl_database.csv").exists():
        return "ptb-xl"
    if (root / "WFDBRecords").is_dir():
        return "ecg-arrhythmia"
    if (root / "ludb.csv").exists():
        return "ludb"
    return "cinc2021"


def read_index(root: str | Path, dataset: str = "auto", **kwargs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Index one dataset folder; return (index, qc). ``dataset='auto'`` detects the layout."""
    name = detect_dataset(root) if dataset == "auto" else dataset
    readers = {"ptb-xl": ptbxl.read_index, "ecg-arrhythmia": cinc.read_arrhythmia_index,
               "cinc2021": cinc.read_index, "ludb": ludb.read_index}
    if name not in readers:
        raise ValueError(f"Unknown dataset {name!r}; choose from {sorted(readers)} or 'auto'")
    return readers[name](root, **kwargs)


def read_indexes(roots: Iterable[str | Path], dataset: str = "auto") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Index several folders into one (index, qc). ``(record_id, dataset)`` is unique: a record met again (the
    same dataset in two folders) keeps its first row and gets a QC row naming both paths."""
    parts = [read_index(r, dataset) for r in roots]
    index = pd.concat([p[0] for p in parts], ignore_index=True)
    qc = pd.concat([p[1] for p in parts], ignore_index=True)
    dup = index.duplicated(["record_id", "dataset"], keep="first")
    if dup.any():
        first = index[~dup].set_index(["record_id", "dataset"])["path"]
        extra = pd.DataFrame({"record_id": index.loc[dup, "record_id"], "path": index.loc[dup, "path"],
                              "dataset": index.loc[dup, "dataset"], "severity": "error",
                              "problem": [f"record id also at {first[(r, d)]}: (record_id, dataset) must be unique; "
                                          "this copy is left out"
                                          for r, d in zip(index.loc[dup, "record_id"], index.loc[dup, "dataset"])]})
        qc = pd.concat([qc, extra], ignore_index=True)
        index = index[~dup].reset_index(drop=True)
    return index, qc


def shared_sample_roots(shared: str | Path) -> list[Path]:
    """The dataset folders of the shared sample (``shared/data``): PTB-XL, ecg-arrhythmia, CinC-2021."""
    data = Path(shared) / "data"
    return [data / "ptb-xl", data / "ecg-arrhythmia", data / "physionet-challenge-2021"]
