"""`FeatureCache`: per-record features on disk, keyed by content, stored without pickle.

The key hashes the signal's samples, its sampling rate (Hz), its leads and the feature configuration (with the
feature-schema version), so a changed record, configuration or schema is never served stale. Each entry is one
``.npz`` file (the feature row as float64 in column order, the QC rows as JSON text) read back with
``allow_pickle=False``: a cache folder written by someone else can give wrong numbers at worst, never run code.
Writes are atomic (temporary file, then rename), so concurrent workers and killed runs leave no torn entries.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np


class FeatureCache:
    """A folder of cached per-record feature rows (see the module docstring)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    @staticmethod
    def key(signal: np.ndarray, sampling_rate: float, leads: tuple[str, ...], config_key: dict) -> str:
        h = hashlib.sha256()
        arr = np.ascontiguousarray(signal)
        h.update(f"{arr.dtype.str}{arr.shape}".encode())
        h.update(arr.tobytes())
        h.update(json.dumps([float(sampling_rate), list(leads), config_key], sort_keys=True).encode())
        return h.hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.npz"

    def get(self, key: str, columns: list[str]) -> tuple[dict[str, float], list[dict]] | None:
        """The cached (row, qc) for ``key``, or None (absent, unreadable, or made for other columns)."""
        path = self._path(key)
        if not path.is_file() or path.is_symlink():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                stored = json.loads(str(z["meta"]))
                values = z["values"]
        except (OSError, ValueError, KeyError, json.JSONDecodeError):
            return None
        if stored.get("columns") != columns or len(values) != len(columns):
            return None
        return dict(zip(columns, values.tolist())), stored.get("qc", [])

    def put(self, key: str, columns: list[str], row: dict[str, float], qc: list[dict]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        values = np.array([row[c] for c in columns], dtype=np.float64)
        meta = json.dumps({"columns": columns, "qc": qc}, default=str)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, values=values, meta=np.array(meta))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def __len__(self) -> int:
        return sum(1 for _ in self.folder.rglob("*.npz")) if self.folder.is_dir() else 0
