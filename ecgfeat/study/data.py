"""The study's data step: records indexed, features extracted (cached), labels encoded, data files hashed."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from .._hashing import file_sha256
from ..artifacts import FEATURES_FILE, write_features
from ..features import FeatureConfig, extract_features
from ..features.extract_features import summarise_feature_qc
from ..records import LabelTable, read_header, read_indexes, save_index, shared_sample_roots
from ..records.synthetic import simulate_cohort
from .config import StudyConfig
from .step_clock import StepClock

# ----------------------------------------------------------------------------------------------- data
def load_data(cfg: StudyConfig, shared: Path | None, out: Path, progress: bool = False, verbose: bool = False,
              clock: StepClock | None = None):
    """(index, X, Y of the training/internal set, X and Y of the external set, description, data hashes).
    Steps ``index``, ``data_hashes`` and ``features`` are timed on ``clock``."""
    clock = clock or StepClock()
    fconf = FeatureConfig(method=cfg.feature_method, anchors=cfg.feature_anchors)
    cache = out.parent / ".cache"
    if cfg.source == "synthetic":
        with clock.step("features"):
            return _synthetic_data(cfg, fconf, cache, out, progress, verbose)
    roots = [Path(f) for f in cfg.folders] if cfg.source == "folders" else shared_sample_roots(shared)
    with clock.step("index"):
        index, qc = read_indexes(roots)
        save_index(index, out / "index.csv")
        qc.to_csv(out / "qc.csv", index=False)
        y_all = LabelTable.load().encode(index, cfg.label_set).reset_index(drop=True)
    with clock.step("features"):
        table = extract_features(index, fconf, n_jobs=cfg.n_jobs, chunk_size=16, cache_dir=cache,
                                 backend="dask" if cfg.scheduler else "loky", scheduler=cfg.scheduler,
                                 progress=progress, log_lead_problems=verbose)
        table.qc.to_csv(out / "feature_qc.csv", index=False)
        if progress:
            print(f"feature QC: {summarise_feature_qc(table.qc)} (details in feature_qc.csv)")
        write_features(table.features, index, out / FEATURES_FILE)
    feats = table.features.reset_index(drop=True)
    train = index.dataset.isin(cfg.train_datasets).to_numpy()
    ext = index.dataset.isin(cfg.external_datasets).to_numpy()
    # the same ECG must never be in training and in the external test set
    ext_keys = set(index.loc[ext, "ecg_key"])
    train &= ~index.ecg_key.isin(ext_keys).to_numpy()
    with clock.step("data_hashes"):
        hashes = data_hashes(index, out)
    desc = f"{', '.join(cfg.train_datasets)} (train/internal) and {', '.join(cfg.external_datasets) or '—'} " \
           f"(external), from {', '.join(str(r) for r in roots)}"
    return (index[train].reset_index(drop=True), feats[train].reset_index(drop=True),
            y_all[train].reset_index(drop=True), feats[ext].reset_index(drop=True), y_all[ext].reset_index(drop=True),
            desc, hashes)


def _synthetic_data(cfg: StudyConfig, fconf: FeatureConfig, cache: Path, out: Path, progress: bool, verbose: bool):
    """The synthetic source: a simulated cohort and a smaller external one, features extracted (cached)."""
    recs, y = simulate_cohort(cfg.synthetic_records, random_state=cfg.seed, n_jobs=cfg.n_jobs)
    ext_recs, y_ext = simulate_cohort(max(60, cfg.synthetic_records // 3), random_state=cfg.seed + 1000,
                                      n_jobs=cfg.n_jobs)
    X = extract_features(recs, fconf, n_jobs=cfg.n_jobs, cache_dir=cache, progress=progress,
                         log_lead_problems=verbose).features
    X_ext = extract_features(ext_recs, fconf, n_jobs=cfg.n_jobs, cache_dir=cache, progress=progress,
                             log_lead_problems=verbose).features
    index = pd.DataFrame({"record_id": y.index, "dataset": "synthetic", "ecg_key": y.index,
                          "patient_id": None, "strat_fold": np.nan})
    write_features(X, index, out / FEATURES_FILE)
    hashes = {"synthetic": f"simulate_cohort(n={cfg.synthetic_records}, seed={cfg.seed})"}
    return (index, X.reset_index(drop=True), y.reset_index(drop=True), X_ext.reset_index(drop=True),
            y_ext.reset_index(drop=True), "synthetic NeuroKit2 cohort (SYNTHETIC DATA)", hashes)


def data_files(index: pd.DataFrame) -> list[Path]:
    """Every data file a study reads: each record's header and signal files, and the metadata tables (CSV) at
    the top of each dataset folder."""
    files: list[Path] = []
    roots: set[Path] = set()
    for path in index["path"]:
        hea = Path(path + ".hea")
        files.append(hea)
        header = read_header(hea)
        files.extend(hea.with_name(name) for name in dict.fromkeys(s.file_name for s in header.signals))
        roots.add(hea.parent)
    for root in sorted(roots):  # metadata next to the records or a few levels up (PTB-XL, ecg-arrhythmia)
        for parent in [root, *list(root.parents)[:3]]:
            files.extend(sorted(parent.glob("*.csv")))
    return list(dict.fromkeys(files))


def data_hashes(index: pd.DataFrame, out: Path) -> dict[str, str]:
    """sha256 of every data file read, written to ``data_files.sha256`` (``sha256sum -c`` format); returns a
    digest of that list per dataset and the file count."""
    lines_by_ds: dict[str, list[str]] = {}
    for ds, part in index.groupby("dataset"):
        lines = []
        for f in data_files(part):
            lines.append(f"{file_sha256(f)}  {f}")
        lines_by_ds[str(ds)] = lines
    all_lines = [ln for lines in lines_by_ds.values() for ln in lines]
    (out / "data_files.sha256").write_text("\n".join(all_lines) + "\n")
    digests = {ds: hashlib.sha256("\n".join(lines).encode()).hexdigest() for ds, lines in lines_by_ds.items()}
    return {**digests, "files": str(len(all_lines))}

