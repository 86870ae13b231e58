"""PTB-XL (PhysioNet ``ptb-xl``): ``ptbxl_database.csv`` + ``scp_statements.csv`` + ``records100|500/``."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import DataNotFoundError
from .index import IndexBuild, header_row

DATASET = "ptb-xl"


def read_scp_statements(root: str | Path) -> pd.DataFrame:
    """``scp_statements.csv`` indexed by SCP code."""
    return pd.read_csv(Path(root) / "scp_statements.csv", index_col=0)


def read_index(root: str | Path, *, sampling_rate: int = 500, min_likelihood: float = 0.0,
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Index PTB-XL at ``root``; return (index, qc).

    Parameters
    ----------
    sampling_rate : {100, 500}, in Hz
        ``records100`` (``filename_lr``) or ``records500`` (``filename_hr``).
    min_likelihood : float, in %
        Keep an SCP statement when its likelihood is at least this (PTB-XL lists rhythm and form
        statements with likelihood 0, so the default 0 keeps every listed statement).

    The index gets ``codes`` = SCP statements (plus ``AXIS:<heart_axis>``), ``strat_fold``, ``patient_id``,
    and the likelihoods in ``extra``. Rows whose signal files are absent go to the QC table.
    """
    root = Path(root)
    db_path = root / "ptbxl_database.csv"
    if not db_path.exists():
        raise DataNotFoundError(f"PTB-XL: {db_path} not found")
    if sampling_rate not in (100, 500):
        raise ValueError(f"PTB-XL sampling_rate must be 100 or 500 Hz, got {sampling_rate}")
    column = "filename_hr" if sampling_rate == 500 else "filename_lr"
    db = pd.read_csv(db_path, index_col="ecg_id")
    build = IndexBuild(DATASET)
    for ecg_id, r in db.iterrows():
        path = root / r[column]
        rec = path.name
        try:
            scp = ast.literal_eval(r["scp_codes"]) if isinstance(r["scp_codes"], str) else {}
            if not isinstance(scp, dict):
                raise ValueError("not a dict")
        except (ValueError, SyntaxError):
            build.problem(rec, path, f"ecg_id {ecg_id}: scp_codes {r['scp_codes']!r} is not a dict; no labels",
                          "warning")
            scp = {}
        codes = [c for c, lk in scp.items() if float(lk) >= min_likelihood]
        axis = r.get("heart_axis")
        if isinstance(axis, str) and axis.strip():
            codes.append(f"AXIS:{axis.strip()}")
        if not path.with_name(rec + ".hea").exists():
            build.problem(rec, path, f"ecg_id {ecg_id}: {column} files not present ({path}.hea)")
            continue
        pid = r.get("patient_id")
        row = header_row(
            build, path, record_id=rec, source=DATASET, codes=codes, code_system="scp",
            patient_id=None if pd.isna(pid) else f"ptbxl:{int(pid)}",
            age=None if pd.isna(r.get("age")) else float(r["age"]),
            sex={0: "M", 1: "F"}.get(int(r["sex"])) if not pd.isna(r.get("sex")) else None,
            ecg_key=f"ptbxl:{int(ecg_id)}",
            strat_fold=float(r["strat_fold"]) if not pd.isna(r.get("strat_fold")) else np.nan,
            extra=json.dumps({"ecg_id": int(ecg_id), "scp_likelihoods": scp}),
        )
        if row is not None:
            build.rows.append(row)
    return build.result()
