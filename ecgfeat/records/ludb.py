"""LUDB (PhysioNet ``ludb``): 200 × 12-lead 500 Hz records with manual per-lead P/QRS/T delineation."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import wfdb

from .._constants import LEADS, canonical_lead
from ..exceptions import DataNotFoundError, InvalidRecordError
from .index import IndexBuild, header_row

DATASET = "ludb"
_DIAG_COLUMNS = ["Rhythms", "Electric axis of the heart", "Conduction abnormalities", "Extrasystolies",
                 "Hypertrophies", "Cardiac pacing", "Ischemia", "Non-specific repolarization abnormalities",
                 "Other states"]
#: Annotation file extension of each canonical lead.
ANNOTATION_EXT = {lead: lead.lower() for lead in LEADS}
WAVES = {"p": "P", "N": "QRS", "t": "T"}


def read_index(root: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Index LUDB at ``root`` (``ludb.csv`` + ``data/<n>.hea``); codes are the diagnosis texts of ``ludb.csv``."""
    root = Path(root)
    csv = root / "ludb.csv"
    if not csv.exists():
        raise DataNotFoundError(f"LUDB: {csv} not found")
    meta = pd.read_csv(csv, dtype=str, keep_default_na=False)
    build = IndexBuild(DATASET, root=root)
    for _, r in meta.iterrows():
        rec = r["ID"].strip()
        path = root / "data" / rec
        codes = [v.strip() for col in _DIAG_COLUMNS for v in r.get(col, "").split("\n") if v.strip()]
        try:
            age = float(r["Age"].strip().rstrip(">").strip())
        except ValueError:
            age = np.nan
        row = header_row(build, path, record_id=rec, codes=codes, code_system="ludb", patient_id=f"ludb:{rec}",
                         age=age, sex={"F": "F", "M": "M"}.get(r["Sex"].strip()), ecg_key=f"ludb:{rec}")
        if row is not None:
            build.rows.append(row)
    return build.result()


def read_annotations(path: str | Path, lead: str) -> pd.DataFrame:
    """Manual delineation of one lead: one row per wave with ``wave`` (P/QRS/T) and ``onset``, ``peak``,
    ``offset`` sample numbers (onset/offset may be missing, -1). Sampling rate 500 Hz.
    """
    canon = canonical_lead(lead)
    if canon is None:
        raise ValueError(f"Unknown lead {lead!r}")
    path = Path(path)
    try:
        ann = wfdb.rdann(str(path), ANNOTATION_EXT[canon])
    except FileNotFoundError:
        raise InvalidRecordError(f"Record '{path.name}': no annotation file for lead {canon}") from None
    rows = []
    sym, samp = ann.symbol, ann.sample
    for i, s in enumerate(sym):
        if s not in WAVES:
            continue
        onset = samp[i - 1] if i > 0 and sym[i - 1] == "(" else -1
        offset = samp[i + 1] if i + 1 < len(sym) and sym[i + 1] == ")" else -1
        rows.append({"wave": WAVES[s], "onset": int(onset), "peak": int(samp[i]), "offset": int(offset)})
    return pd.DataFrame(rows, columns=["wave", "onset", "peak", "offset"])
