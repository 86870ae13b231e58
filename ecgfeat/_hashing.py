"""sha256 of files (read in 1 MiB blocks, never the whole file in memory) and of in-memory contents (cache keys)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of the file at ``path``."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def content_hash(*parts) -> str:
    """sha256 of arrays, frames and JSON-able objects (used as cache keys)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, pd.DataFrame):
            h.update(json.dumps([str(c) for c in part.columns]).encode())
            h.update(np.ascontiguousarray(part.to_numpy(dtype=np.float64)).tobytes())
        elif isinstance(part, np.ndarray):
            h.update(str(part.shape).encode())
            h.update(np.ascontiguousarray(part.astype(np.float64)).tobytes())
        else:
            h.update(json.dumps(part, sort_keys=True, default=str).encode())
    return h.hexdigest()
