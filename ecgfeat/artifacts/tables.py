"""Tables that pass between steps: the features table and the labels table, keyed by ``(record_id, dataset)``.

``features.parquet``: ``record_id``, ``dataset``, then one float column per feature (``"{lead}__{name}"``).
``labels.csv``: ``record_id``, ``dataset``, ``fold``, ``split`` ('train' / 'test'), then one 0/1/NaN column
per label (written by ``ecgfeat index --out`` and by every study run). Readers check the file kind and the
key columns and raise :class:`UsageError` with the file named, never a parser's message.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import DataNotFoundError, UsageError

KEYS = ["record_id", "dataset"]
SPLIT_COLUMNS = ["fold", "split"]
FEATURES_FILE = "features.parquet"
LABELS_FILE = "labels.csv"


def write_features(features: pd.DataFrame, keys: pd.DataFrame, path: str | Path) -> Path:
    """Write ``features`` (one row per record, in ``keys`` order) with the key columns in front."""
    if len(features) != len(keys):
        raise ValueError(f"{len(features)} feature rows for {len(keys)} records")
    table = features.reset_index(drop=True).copy()
    table.insert(0, "record_id", keys["record_id"].astype(str).to_numpy())
    table.insert(1, "dataset", keys["dataset"].astype(str).to_numpy())
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(path)
    return path


def _exists(path: str | Path, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"{what} {path} not found")
    return path


def read_features(path: str | Path) -> pd.DataFrame:
    """The features table written by ``ecgfeat features`` or a study run (keys + feature columns)."""
    path = _exists(path, "features table")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic != b"PAR1":
        raise UsageError(f"{path} is not a parquet file; give the {FEATURES_FILE} written by 'ecgfeat features' "
                         "or by a study run")
    table = pd.read_parquet(path)
    missing = [k for k in KEYS if k not in table]
    if missing:
        raise UsageError(f"{path} has no {missing} column(s); it was not written by ecgfeat")
    table["record_id"] = table["record_id"].astype(str)
    _check_unique(table, path)
    return table


def read_labels(path: str | Path) -> pd.DataFrame:
    """The labels table written by ``ecgfeat index --out`` or a study run (keys, fold, split, labels)."""
    path = _exists(path, "labels table")
    try:
        table = pd.read_csv(path, dtype={"record_id": str, "dataset": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise UsageError(f"{path} is not a CSV labels table ({type(exc).__name__})") from None
    missing = [k for k in KEYS if k not in table]
    if missing:
        raise UsageError(f"{path} has no {missing} column(s); write labels with 'ecgfeat index --out DIR' "
                         f"({LABELS_FILE})")
    _check_unique(table, path)
    return table


def label_columns(labels: pd.DataFrame) -> list[str]:
    """The label columns of a labels table (everything but keys, fold and split)."""
    return [c for c in labels.columns if c not in KEYS + SPLIT_COLUMNS]


def _check_unique(table: pd.DataFrame, path: Path) -> None:
    dup = table.duplicated(KEYS, keep=False)
    if dup.any():
        first = table.loc[dup, KEYS].iloc[0]
        raise UsageError(f"{path}: {int(dup.sum())} rows share a (record_id, dataset) key, e.g. "
                         f"({first.record_id}, {first.dataset}); every record must appear once")


@dataclass
class LabelledFeatures:
    """Features and labels of the records present in both tables, in the features table's order."""

    X: pd.DataFrame  # feature columns only
    Y: pd.DataFrame  # label columns only (0/1/NaN)
    keys: pd.DataFrame  # record_id, dataset
    split: np.ndarray | None  # 'train' / 'test' per row, None when the labels table has none

    def select(self, mask: np.ndarray) -> "LabelledFeatures":
        mask = np.asarray(mask, dtype=bool)
        return LabelledFeatures(self.X.loc[mask].reset_index(drop=True), self.Y.loc[mask].reset_index(drop=True),
                                self.keys.loc[mask].reset_index(drop=True),
                                None if self.split is None else self.split[mask])


def join_features_labels(features: pd.DataFrame, labels: pd.DataFrame) -> LabelledFeatures:
    """Inner join on ``(record_id, dataset)``; an empty join is an error naming both key sets."""
    merged = features.merge(labels, on=KEYS, how="inner", suffixes=("", "__label"), validate="one_to_one")
    if merged.empty:
        raise UsageError("no record of the labels table matches the features table on (record_id, dataset): "
                         f"features e.g. {features[KEYS].head(2).to_dict('records')}, labels e.g. "
                         f"{labels[KEYS].head(2).to_dict('records')}")
    feature_cols = [c for c in features.columns if c not in KEYS]
    label_cols = label_columns(labels)
    split = merged["split"].astype(str).to_numpy() if "split" in merged else None
    return LabelledFeatures(merged[feature_cols], merged[[c if c not in feature_cols else f"{c}__label"
                                                         for c in label_cols]].set_axis(label_cols, axis=1),
                            merged[KEYS], split)


def record_keys(keys: pd.DataFrame) -> set[tuple[str, str]]:
    """``{(record_id, dataset)}`` of a keys table."""
    return set(zip(keys["record_id"].astype(str), keys["dataset"].astype(str)))
