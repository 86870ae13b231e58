"""`extract_features`: per-lead features for a whole index, cached, parallel, streamed to disk.

Records are read one at a time inside workers, so memory holds one signal per worker, never a dataset.
Work is split into chunks of ``chunk_size`` records; each chunk's features can be written to
``out_dir/part-<content key>.parquet`` as soon as it is done, and a re-run skips finished chunks. A part's key
hashes the configuration and the identity of every record in it (record id, dataset, path, and the size and
modification time of its ``.hea``, ``.dat`` and ``.mat`` files; the samples of an in-memory record), so a part is reused only
for the same records in the same order: a re-run with other, reordered or changed records never serves stale
rows.
Per-record results are cached in a :class:`FeatureCache` (``.npz`` files read without pickle), keyed on the
signal's content, its sampling rate, the :class:`FeatureConfig` and the feature-schema version (a record's id is
not part of the key).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable
import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config
from tqdm.auto import tqdm

from .._parallel import worker_count
from ..exceptions import InvalidRecordError
from ..records.index import load_record
from ..records.record import EcgRecord
from .feature_cache import FeatureCache
from .lead_features import FEATURE_SCHEMA_VERSION
from .record_features import FeatureConfig, extract_record_features, feature_columns, log_lead_problem

logger = logging.getLogger(__name__)
QC_COLUMNS = ["record_id", "dataset", "lead", "severity", "problem"]


@dataclass
class FeatureTable:
    """Features (rows aligned with the input index, float32) and the QC table of the extraction."""

    features: pd.DataFrame
    qc: pd.DataFrame
    config: FeatureConfig


def config_hash(config: FeatureConfig) -> str:
    return hashlib.sha256(json.dumps(config.key(), sort_keys=True).encode()).hexdigest()[:12]


def _features_from_signal(signal: np.ndarray, sampling_rate: float, leads: tuple[str, ...], config_key: dict,
                          ) -> tuple[dict, list]:
    """Cache-friendly core: everything that determines the features is an argument."""
    config = FeatureConfig(**{k: (tuple(v) if k == "leads" else v) for k, v in config_key.items()
                              if k != "schema"})
    rec = EcgRecord(record_id="", signal=signal, sampling_rate=sampling_rate, leads=leads)
    return extract_record_features(rec, config, log=False)  # logged by the caller, with the record's id


def _record_features(record: EcgRecord, config: FeatureConfig, cache: FeatureCache | None, log: bool = True,
                     ) -> tuple[dict, list]:
    key = config.key()
    if cache is None:
        row, qc = _features_from_signal(record.signal, record.sampling_rate, record.leads, key)
    else:
        entry = FeatureCache.key(record.signal, float(record.sampling_rate), tuple(record.leads), key)
        columns = feature_columns(config.leads)
        hit = cache.get(entry, columns)
        if hit is None:
            row, qc = _features_from_signal(record.signal, float(record.sampling_rate), tuple(record.leads), key)
            cache.put(entry, columns, row, qc)
        else:
            row, qc = hit
    qc = [{**q, "record_id": record.record_id, "dataset": record.dataset} for q in qc]  # never mutate cached
    if log:
        for q in qc:
            log_lead_problem(record.record_id, q["lead"], q["problem"])
    return row, qc


def _record_identity(item: Any) -> list:
    """What identifies a record's content: id, dataset, and its files' size and mtime (or its samples)."""
    if isinstance(item, EcgRecord):
        return [item.record_id, item.dataset, hashlib.sha256(np.ascontiguousarray(item.signal).tobytes()).hexdigest(),
                float(item.sampling_rate), list(item.leads)]
    path = str(item["path"])
    stamps = []
    for ext in (".hea", ".dat", ".mat"):  # a few stats, no folder listing: cheap for 45,000 records
        try:
            st = os.stat(path + ext)
        except OSError:
            continue
        stamps.append([ext, st.st_size, st.st_mtime_ns])
    return [str(item["record_id"]), str(item["dataset"]), str(path), stamps]


def chunk_key(rows: list[tuple[Any, Any]], config: FeatureConfig) -> str:
    """Content key of a chunk of records: configuration + the identity of each record, in order."""
    payload = [config_hash(config), [_record_identity(item) for _, item in rows]]
    return hashlib.sha256(json.dumps(payload, default=str).encode()).hexdigest()[:24]


def _extract_chunk(rows: list[tuple[Any, Any]], config: FeatureConfig, cache_dir: str | None,
                   part: str | None, log: bool = True) -> tuple[pd.DataFrame | str, list[dict]]:
    """Worker: features of ``rows`` ((label, index row or EcgRecord) pairs)."""
    cache = None if cache_dir is None else FeatureCache(cache_dir)
    columns = feature_columns(config.leads)
    data = np.full((len(rows), len(columns)), np.nan, dtype=np.float32)
    qc: list[dict] = []
    for i, (_, item) in enumerate(rows):
        rid = getattr(item, "record_id", None) or item["record_id"]
        dataset = getattr(item, "dataset", None) or item["dataset"]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # reported through the QC table instead
                rec = item if isinstance(item, EcgRecord) else load_record(item)
                row, rec_qc = _record_features(rec, config, cache, log)
        except InvalidRecordError as exc:
            qc.append({"record_id": rid, "dataset": dataset, "lead": "*", "severity": "error", "problem": str(exc)})
            logger.error("%s", exc)
            continue
        except Exception as exc:  # never let one record stop a 45,000-record run
            qc.append({"record_id": rid, "dataset": dataset, "lead": "*", "severity": "error",
                       "problem": f"feature extraction failed ({type(exc).__name__}: {exc})"})
            logger.exception("Record '%s': feature extraction failed", rid)
            continue
        data[i] = [row[c] for c in columns]
        qc.extend(rec_qc)
    frame = pd.DataFrame(data, index=pd.Index([label for label, _ in rows]), columns=columns)
    if part is None:
        return frame, qc
    path = Path(part)
    frame.to_parquet(path.with_suffix(".tmp"))
    pd.DataFrame(qc, columns=QC_COLUMNS).to_csv(path.with_suffix(".qc.csv"), index=False)
    path.with_suffix(".tmp").replace(path)  # the part exists only once complete
    return str(path), qc


def extract_features(records: pd.DataFrame | Iterable[EcgRecord], config: FeatureConfig = FeatureConfig(), *,
                     n_jobs: int = 1, chunk_size: int = 32, cache_dir: str | Path | None = None,
                     out_dir: str | Path | None = None, backend: str = "loky", scheduler: str | None = None,
                     progress: bool = False, log_lead_problems: bool = True) -> FeatureTable:
    """Per-lead features of every record.

    Parameters
    ----------
    records : index DataFrame (from :mod:`ecgfeat.records`) or an iterable of :class:`EcgRecord`
    n_jobs : joblib workers (-1: all cores; more than the cores is capped with a warning)
    chunk_size : records per task (and per parquet part)
    cache_dir : folder of a :class:`FeatureCache` (content-keyed, no pickle), or None for no cache
    out_dir : write each chunk to parquet there and resume from finished chunks; None keeps results in memory
    backend : 'loky' (processes on this machine), 'threading', 'sequential' or 'dask' (joblib's dask backend;
        ``scheduler`` is the address of a ``dask.distributed`` scheduler, e.g. ``tcp://127.0.0.1:8786``)
    progress : a progress bar over records (total and ETA)
    log_lead_problems : log a warning per lead with NaN features (they are always in the QC table;
        :func:`summarise_feature_qc` gives a one-line summary instead)
    """
    config = config.validate()
    if backend in ("loky", "threading", "multiprocessing"):  # a Dask cluster has its own workers
        n_jobs = worker_count(n_jobs)
    if isinstance(records, pd.DataFrame):
        items = list(records.iterrows())
    else:
        items = [(rec.record_id, rec) for rec in records]
    chunks = [items[i:i + chunk_size] for i in range(0, len(items), chunk_size)]
    parts: list[str | None] = [None] * len(chunks)  # each chunk's part file, keyed by content, computed once
    done: dict[int, str] = {}
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        for k in range(len(chunks)):
            parts[k] = str(out_dir / f"part-{chunk_key(chunks[k], config)}.parquet")
            if Path(parts[k]).exists():
                done[k] = parts[k]
    todo = [k for k in range(len(chunks)) if k not in done]
    tasks = (delayed(_extract_chunk)(chunks[k], config, None if cache_dir is None else str(cache_dir), parts[k],
                                     log_lead_problems) for k in todo)
    client = None
    if backend == "dask":
        from distributed import Client  # optional: only with a Dask scheduler address

        client = Client(scheduler) if scheduler else None
        if client is None:
            raise ValueError("backend='dask' needs a scheduler address (e.g. tcp://127.0.0.1:8786)")
    try:
        with parallel_config(backend=backend, n_jobs=n_jobs if backend != "sequential" else 1):
            results = []
            with tqdm(total=sum(len(chunks[k]) for k in todo), disable=not progress, desc="features",
                      unit="record") as bar:
                for k, res in zip(todo, Parallel(return_as="generator")(tasks)):
                    results.append(res)
                    bar.update(len(chunks[k]))
    finally:
        if client is not None:
            client.close()
    frames: list[pd.DataFrame] = []
    qc_rows: list[dict] = []
    by_chunk = dict(zip(todo, results))
    for k in range(len(chunks)):
        if k in by_chunk:
            res, qc = by_chunk[k]
            qc_rows.extend(qc)
        else:
            res = done[k]
            qc_rows.extend(pd.read_csv(Path(res).with_suffix(".qc.csv")).to_dict("records"))
        frames.append(pd.read_parquet(res) if isinstance(res, str) else res)
    features = pd.concat(frames) if frames else pd.DataFrame(columns=feature_columns(config.leads),
                                                              dtype=np.float32)
    if isinstance(records, pd.DataFrame):
        features.index = records.index[: len(features)]
    return FeatureTable(features, pd.DataFrame(qc_rows, columns=QC_COLUMNS), config)


def summarise_feature_qc(qc: pd.DataFrame) -> str:
    """One line for a QC table: unreadable records and leads with NaN features, by kind of problem."""
    if qc.empty:
        return "no feature QC entries"
    errors = qc[qc["severity"] == "error"]
    leads = qc[qc["severity"] == "warning"]
    values = qc[qc["severity"] == "info"]
    kinds = leads["problem"].str.replace(r"\(.*?\)|\d+(\.\d+)?", "", regex=True).str.strip().str.split(" ").str[0:2] \
        .str.join(" ")
    parts = [f"{len(errors)} unreadable records"] if len(errors) else []
    for kind, part in leads.groupby(kinds.to_numpy()):
        parts.append(f"{len(part)} leads with '{kind}' in {part['record_id'].nunique()} records")
    if len(values):
        parts.append(f"{len(values)} implausible feature values set to NaN in {values['record_id'].nunique()} records")
    return "; ".join(parts)


__all__ = ["FEATURE_SCHEMA_VERSION", "FeatureTable", "extract_features", "config_hash", "summarise_feature_qc"]
