"""PTB-XL (PhysioNet ``ptb-xl``): ``ptbxl_database.csv`` + ``scp_statements.csv`` + ``records100|500/``."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import DataNotFoundError, InvalidRecordError
from .index import IndexBuild, header_row

DATASET = "ptb-xl"


def read_scp_statements(root: str | Path) -> pd.DataFrame:
    """``scp_statements.csv`` indexed by SCP code."""
    return pd.read_csv(Path(root) / "scp_statements.csv", index_col=0)


def _number(ecg_id, column: str, value, kind=float, allowed: tuple | None = None):
    """A numeric field of a ``ptbxl_database.csv`` row (NaN/None → None), or InvalidRecordError naming it."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InvalidRecordError(f"ptbxl_database.csv ecg_id {ecg_id}: {column} {value!r} is not a number") from None
    if not np.isfinite(x) or (kind is int and x != int(x)) or (allowed is not None and x not in allowed):
        raise InvalidRecordError(f"ptbxl_database.csv ecg_id {ecg_id}: {column} {value!r} is not "
                                 + (f"one of {list(allowed)}" if allowed else "a valid value"))
    return kind(x)


def _row_fields(ecg_id, r: pd.Series, column: str, min_likelihood: float) -> dict:
    """Validated fields of one ``ptbxl_database.csv`` row for :func:`header_row`."""
    ecg = _number("?", "ecg_id", ecg_id, int)
    if ecg is None:
        raise InvalidRecordError("ptbxl_database.csv: a row has no ecg_id")
    rel = r.get(column)
    if not isinstance(rel, str) or not rel.strip():
        raise InvalidRecordError(f"ptbxl_database.csv ecg_id {ecg_id}: {column} {rel!r} is not a file name")
    scp, scp_problem = {}, False
    try:
        parsed = ast.literal_eval(r["scp_codes"]) if isinstance(r.get("scp_codes"), str) else {}
        if not isinstance(parsed, dict):
            raise ValueError("not a dict")
        scp = parsed
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        scp_problem = True
    likelihoods = {}
    for code, lk in scp.items():
        x = _number(ecg_id, f"scp_codes[{code!r}] likelihood", lk)
        if x is None or not 0 <= x <= 100:
            raise InvalidRecordError(f"ptbxl_database.csv ecg_id {ecg_id}: scp_codes likelihood {lk!r} of {code!r} "
                                     "is not a percentage")
        likelihoods[str(code)] = x
    codes = [c for c, lk in likelihoods.items() if lk >= min_likelihood]
    axis = r.get("heart_axis")
    if isinstance(axis, str) and axis.strip():
        codes.append(f"AXIS:{axis.strip()}")
    pid = _number(ecg_id, "patient_id", r.get("patient_id"), int)
    age = _number(ecg_id, "age", r.get("age"))
    if age is not None and not 0 <= age <= 130 and age != 300:  # PTB-XL codes ages over 89 as 300
        raise InvalidRecordError(f"ptbxl_database.csv ecg_id {ecg_id}: age {r.get('age')!r} is not an age")
    sex = _number(ecg_id, "sex", r.get("sex"), int, (0, 1))
    fold = _number(ecg_id, "strat_fold", r.get("strat_fold"), int, tuple(range(1, 11)))
    return {"codes": codes, "patient_id": None if pid is None else f"ptbxl:{pid}", "age": age,
            "sex": {0: "M", 1: "F"}.get(sex) if sex is not None else None, "ecg_key": f"ptbxl:{ecg}",
            "strat_fold": float(fold) if fold is not None else np.nan,
            "extra": json.dumps({"ecg_id": ecg, "scp_likelihoods": likelihoods}), "scp_problem": scp_problem}


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
    build = IndexBuild(DATASET, root=root)
    for ecg_id, r in db.iterrows():
        rel = r.get(column)
        rec = Path(str(rel)).name if isinstance(rel, str) and rel else f"ecg_id {ecg_id}"
        try:
            fields = _row_fields(ecg_id, r, column, min_likelihood)
        except InvalidRecordError as exc:  # one bad row: a QC row naming it, the index goes on
            build.problem(rec, db_path, str(exc))
            continue
        path = root / rel
        if fields.pop("scp_problem"):
            build.problem(rec, path, f"ecg_id {ecg_id}: scp_codes {r['scp_codes']!r} is not a dict; no labels",
                          "warning")
        if not path.with_name(rec + ".hea").exists():
            build.problem(rec, path, f"ecg_id {ecg_id}: {column} files not present ({path}.hea)")
            continue
        row = header_row(build, path, record_id=rec, source=DATASET, code_system="scp", **fields)
        if row is not None:
            build.rows.append(row)
    return build.result()
