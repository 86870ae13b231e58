"""Finished study steps kept in the run folder, so an interrupted or repeated run resumes instead of recomputing.

``steps/<step>/`` holds the step's tables (parquet: index and dtypes kept), its scalars (``values.json``) and
``done.json``, written last, with the key the outputs were computed from (a digest of the configuration, the
data and the ecgfeat source). A step whose ``done.json`` is missing or holds another key is computed again.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

STEPS_DIR = "steps"
DONE_FILE = "done.json"
VALUES_FILE = "values.json"


class StepStore:
    """The finished steps of one run folder."""

    def __init__(self, run_folder: str | Path):
        self.folder = Path(run_folder) / STEPS_DIR

    def load(self, step: str, key: str) -> dict[str, Any] | None:
        """The outputs of ``step`` if it finished with ``key``, else None."""
        folder = self.folder / step
        try:
            done = json.loads((folder / DONE_FILE).read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if done.get("key") != key:
            return None
        outputs: dict[str, Any] = json.loads((folder / VALUES_FILE).read_text())
        for name in done["tables"]:
            outputs[name] = pd.read_parquet(folder / f"{name}.parquet")
        return outputs

    def save(self, step: str, key: str, outputs: dict[str, Any]) -> dict[str, Any]:
        """Keep ``outputs`` (DataFrames, None, and JSON-able scalars) as the finished ``step``; returns them."""
        folder = self.folder / step
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        tables = [name for name, value in outputs.items() if isinstance(value, pd.DataFrame)]
        for name in tables:
            frame = outputs[name]
            frame.set_axis([str(c) for c in frame.columns], axis=1).to_parquet(folder / f"{name}.parquet")
        values = {name: value for name, value in outputs.items() if name not in tables}
        (folder / VALUES_FILE).write_text(json.dumps(values))
        (folder / DONE_FILE).write_text(json.dumps({"key": key, "tables": tables}))
        return outputs
