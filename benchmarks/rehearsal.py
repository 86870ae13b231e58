"""A full-size rehearsal of the reference study's data, made from the shared sample's real records.

Writes two dataset folders in the exact on-disk layouts the reference study reads, so the rehearsal exercises the
normal readers end to end:
- ``ecg-arrhythmia/``: ``WFDBRecords/xx/xxx/JSxxxxx.{hea,mat}`` (MAT v4 int16 ``val``, 1000/mV, 500 Hz, 10 s) with
  ``#Age``/``#Sex``/``#Dx`` header comments, and ``ConditionNames_SNOMED-CT.csv``;
- ``ptb-xl/``: ``records500/xxxxx/xxxxx_hr.{hea,dat}`` and ``records100/xxxxx/xxxxx_lr.{hea,dat}`` (format 16,
  1000/mV), ``ptbxl_database.csv`` and ``scp_statements.csv``.

Each record is one of the shared sample's 228 distinct real ECGs (resampled to 500 Hz, first 10 s), varied:
- heart rate: time axis stretched by a factor drawn from 0.95-1.05 (at most ±5 %, so rate-defined labels such as
  SB < 60 /min and STach > 100 /min rarely change);
- time shift: starts 0-1 s later, the end mirror-padded;
- amplitude: one gain per record (0.8-1.25, log-uniform) and one per lead (±5 %);
- noise: white noise of 5-30 µV SD and a baseline wander of 0.05-0.5 Hz up to 0.1 mV.
Its labels are the source record's codes (SNOMED-CT in ecg-arrhythmia; in PTB-XL the source's SCP codes, or the
study17 labels' SCP codes for sources that are not PTB-XL records).

Label prevalences: the source records are drawn with weights fitted so that each study17 label's prevalence is
close to the real dataset's. The real prevalences are those of the PhysioNet/CinC 2021 mapping tables
(``dx_mapping_*.csv``: Chapman-Shaoxing + Ningbo = ecg-arrhythmia's 45,152 records; PTB-XL's 21,837). A label no
source record carries (STE and SVT in the shared sample) cannot be rehearsed; ``rehearsal.json`` lists target and
achieved prevalences. ``sources.csv`` names the source ECG of every record: records of one source are relatives,
and a held-out set that must not have relatives in training is drawn by source.

    .venv/bin/python benchmarks/rehearsal.py --records 4000 --out /tmp/rehearsal/4000

This is benchmark data, never shipped: it is written only under ``--out``.
"""
from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.optimize import lsq_linear

from ecgfeat._constants import LEADS
from ecgfeat.paths import shared_dir
from ecgfeat.records import LabelTable, read_indexes, shared_sample_roots
from ecgfeat.records.index import load_record
from ecgfeat.records.resample import resample_signal

FULL_ARRHYTHMIA = 45_152
FULL_PTBXL = 21_799
FS = 500  # Hz
N_SAMPLES = 5000  # 10 s at 500 Hz
SOURCES_FILE = "sources.csv"  # record → the shared-sample ECG it was made from
GAIN = 1000.0  # ADC units per mV
PTBXL_LEADS = ("I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6")
GENERATOR_VERSION = 2  # 2: writes sources.csv (the source ECG of every record)


@dataclass(frozen=True)
class RehearsalSpec:
    """What to write: record counts per dataset, the seed, and whether PTB-XL also gets its 100 Hz copies."""

    n_arrhythmia: int
    n_ptbxl: int
    seed: int = 0
    ptbxl_100hz: bool = True
    version: int = GENERATOR_VERSION

    @classmethod
    def total(cls, n_records: int, seed: int = 0, ptbxl_100hz: bool = True) -> "RehearsalSpec":
        """``n_records`` split between the two datasets in the real ratio (45,152 : 21,799)."""
        n_arr = int(round(n_records * FULL_ARRHYTHMIA / (FULL_ARRHYTHMIA + FULL_PTBXL)))
        return cls(n_arr, n_records - n_arr, seed, ptbxl_100hz)


# ------------------------------------------------------------------------------------------------ sources
@dataclass
class Sources:
    """The shared sample's distinct ECGs: signals (n, 5000, 12) float32 mV at 500 Hz, and per source its SNOMED
    codes, its SCP codes (PTB-XL records only), age, sex and study17 label vectors under each code system."""

    signals: np.ndarray
    keys: list[str]
    snomed: list[list[str]]
    scp: list[list[str] | None]
    age: list[float | None]
    sex: list[str | None]
    labels: list[str]
    y_snomed: np.ndarray  # (n, L) study17 labels of the SNOMED codes (what the ecg-arrhythmia copy carries)
    y_ptbxl: np.ndarray  # (n, L) study17 labels of the SCP codes the PTB-XL copy carries


def load_sources(shared: Path) -> Sources:
    """Read every distinct ECG of the shared sample once (one record's signal at a time is read)."""
    index, _ = read_indexes(shared_sample_roots(shared))
    table = LabelTable.load()
    labels = table.labels("study17")
    keys = list(dict.fromkeys(index["ecg_key"]))
    signals = np.zeros((len(keys), N_SAMPLES, 12), np.float32)
    snomed, scp, age, sex = [], [], [], []
    for i, key in enumerate(keys):
        copies = index[index["ecg_key"] == key]
        sn = copies[copies["code_system"] == "snomed"]
        sc = copies[copies["code_system"] == "scp"]
        row = (sn if len(sn) else copies).iloc[0]
        rec = load_record(row)
        x = resample_signal(rec.signal, rec.sampling_rate, FS)
        x = np.nan_to_num(x[:N_SAMPLES])
        if len(x) < N_SAMPLES:
            x = np.pad(x, ((0, N_SAMPLES - len(x)), (0, 0)), mode="reflect")
        lead_pos = [rec.leads.index(lead) if lead in rec.leads else None for lead in LEADS]
        for j, p in enumerate(lead_pos):
            if p is not None:
                signals[i, :, j] = x[:, p]
        snomed.append(list(sn.iloc[0]["codes"]) if len(sn) else [])
        scp.append(list(sc.iloc[0]["codes"]) if len(sc) else None)
        age.append(None if pd.isna(row["age"]) else float(row["age"]))
        sex.append(row["sex"] if isinstance(row["sex"], str) else None)
    y_sn = np.array([[table.encode_codes(c, "snomed", "study17").get(lab, 0.0) for lab in labels]
                     for c in snomed])
    scp_out = [c if c is not None else ptbxl_codes_for(y, labels, table) for c, y in zip(scp, y_sn)]
    y_pt = np.array([[table.encode_codes(c, "scp", "study17").get(lab, 0.0) for lab in labels] for c in scp_out])
    return Sources(signals, keys, snomed, scp_out, age, sex, labels, np.nan_to_num(y_sn), np.nan_to_num(y_pt))


def ptbxl_codes_for(y: np.ndarray, labels: list[str], table: LabelTable) -> list[str]:
    """SCP codes for a source that is not a PTB-XL record: the first SCP code of each of its study17 labels."""
    return [table.codes("study17", lab, "scp")[0] for lab, v in zip(labels, y) if v == 1]


# ---------------------------------------------------------------------------------------- prevalences
def real_prevalences(shared: Path, labels: list[str]) -> dict[str, dict[str, float]]:
    """Per dataset, each study17 label's prevalence in the full dataset, from the CinC-2021 mapping tables (code
    counts per source; a record with two codes of one label is counted twice, so these are upper bounds)."""
    folder = shared / "data" / "physionet-challenge-2021"
    dx = pd.concat([pd.read_csv(folder / f, dtype={"SNOMEDCTCode": str})
                    for f in ("dx_mapping_scored.csv", "dx_mapping_unscored.csv")], ignore_index=True)
    table = LabelTable.load()
    out: dict[str, dict[str, float]] = {"ecg-arrhythmia": {}, "ptb-xl": {}}
    for lab in labels:
        rows = dx[dx["SNOMEDCTCode"].isin(table.codes("study17", lab, "snomed"))]
        out["ecg-arrhythmia"][lab] = float((rows["Chapman_Shaoxing"].sum() + rows["Ningbo"].sum()) / FULL_ARRHYTHMIA)
        out["ptb-xl"][lab] = float(rows["PTB_XL"].sum() / 21_837)  # PTB-XL records in the Challenge's copy
    return out


def source_weights(y: np.ndarray, target: np.ndarray, ridge: float = 0.05) -> np.ndarray:
    """Sampling weights of the sources (≥ 0, sum 1) whose label prevalences Σ w_s y_sl are closest to ``target``
    in relative error, with a ridge towards equal weights. Labels no source carries are left out."""
    n, _ = y.shape
    carried = y.sum(axis=0) > 0
    scale = 1 / np.sqrt(np.maximum(target[carried], 0.01))
    A = np.vstack([y[:, carried].T * scale[:, None], np.full((1, n), 100.0), ridge * np.eye(n) * np.sqrt(n)])
    b = np.concatenate([target[carried] * scale, [100.0], ridge * np.full(n, 1 / n) * np.sqrt(n)])
    w = lsq_linear(A, b, bounds=(0, np.inf)).x
    return w / w.sum()


# ------------------------------------------------------------------------------------------- variation
def vary_signal(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A varied copy of a (5000, 12) mV signal (see the module docstring): stretch, shift, gains, noise."""
    stretch = rng.uniform(0.95, 1.05)
    shift = rng.uniform(0, 1.0) * FS
    t = shift + np.arange(N_SAMPLES) * stretch  # source sample positions read for each output sample
    t = np.where(t > N_SAMPLES - 1, 2 * (N_SAMPLES - 1) - t, t)  # mirror past the end
    t = np.clip(t, 0, N_SAMPLES - 1)
    i0 = np.floor(t).astype(int)
    i1 = np.minimum(i0 + 1, N_SAMPLES - 1)
    frac = (t - i0)[:, None]
    y = x[i0] * (1 - frac) + x[i1] * frac
    gain = np.exp(rng.uniform(np.log(0.8), np.log(1.25))) * rng.uniform(0.95, 1.05, 12)
    y = y * gain
    y += rng.uniform(0.005, 0.03) * rng.standard_normal(y.shape)
    seconds = np.arange(N_SAMPLES) / FS
    wander = rng.uniform(0, 0.1) * np.sin(2 * np.pi * rng.uniform(0.05, 0.5) * seconds + rng.uniform(0, 2 * np.pi))
    return y + wander[:, None]


def to_adc(y: np.ndarray) -> np.ndarray:
    """mV → int16 ADC units at 1000/mV (clipped; −32768 is WFDB's invalid-sample marker, so it is avoided)."""
    return np.clip(np.round(y * GAIN), -32767, 32767).astype("<i2")


def _checksum(column: np.ndarray) -> int:
    return int((int(column.astype(np.int64).sum()) + 32768) % 65536 - 32768)


# --------------------------------------------------------------------------------------------- writers
def arrhythmia_path(k: int) -> str:
    """Relative path (no extension) of record ``JS{k:05d}`` (k ≥ 1): 100 records per folder, 10 folders per
    group, as ``WFDBRecords/01/010/JS00001``."""
    j = (k - 1) // 100
    group = j // 10 + 1
    return f"WFDBRecords/{group:02d}/{group:02d}{j % 10}/JS{k:05d}"


def write_arrhythmia_record(root: Path, k: int, adc: np.ndarray, age, sex, dx: list[str]) -> None:
    """``JS{k:05d}.mat`` (MAT v4: 20-byte header + 'val\\0', int16 12 × n column-major) and its ``.hea``."""
    rel = arrhythmia_path(k)
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    name = path.name
    n = len(adc)
    head = np.array([30, 12, n, 0, 4], "<i4").tobytes() + b"val\x00"  # MOPT 30 = little-endian int16
    (path.parent / f"{name}.mat").write_bytes(head + adc.tobytes())
    lines = [f"{name} 12 {FS} {n}"]
    for j, lead in enumerate(LEADS):
        lines.append(f"{name}.mat 16+24 1000/mV 16 0 {int(adc[0, j])} {_checksum(adc[:, j])} 0 {lead}")
    lines += [f"#Age: {int(age) if age is not None else 'Unknown'}", f"#Sex: {sex or 'Unknown'}",
              f"#Dx: {','.join(dx)}", "#Rx: Unknown", "#Hx: Unknown", "#Sx: Unknown"]
    (path.parent / f"{name}.hea").write_text("\n".join(lines) + "\n")


def ptbxl_path(ecg_id: int, rate: int) -> str:
    """Relative path (no extension): ``records500/00000/00001_hr`` or ``records100/00000/00001_lr``."""
    suffix = "hr" if rate == 500 else "lr"
    return f"records{rate}/{ecg_id // 1000 * 1000:05d}/{ecg_id:05d}_{suffix}"


def write_ptbxl_record(root: Path, ecg_id: int, rate: int, adc: np.ndarray) -> None:
    """A PTB-XL record in format 16 with PTB-XL's own header form."""
    path = root / ptbxl_path(ecg_id, rate)
    path.parent.mkdir(parents=True, exist_ok=True)
    name = path.name
    (path.parent / f"{name}.dat").write_bytes(adc.tobytes())
    lines = [f"{name} 12 {rate} {len(adc)}"]
    for j, lead in enumerate(PTBXL_LEADS):
        lines.append(f"{name}.dat 16 1000.0(0)/mV 16 0 {int(adc[0, j])} {_checksum(adc[:, j])} 0 {lead}")
    (path.parent / f"{name}.hea").write_text("\n".join(lines) + "\n")


# ------------------------------------------------------------------------------------------- the build
def _record_rng(spec: RehearsalSpec, dataset: int, k: int) -> np.random.Generator:
    return np.random.default_rng([spec.seed, dataset, k])


def _write_arrhythmia_chunk(root: Path, sources_file: Path, spec: RehearsalSpec, ks: list[int],
                            picks: list[int], meta: list[tuple]) -> None:
    signals = np.load(sources_file, mmap_mode="r")
    for k, s, (age, sex, dx) in zip(ks, picks, meta):
        y = vary_signal(np.asarray(signals[s], np.float64), _record_rng(spec, 0, k))
        write_arrhythmia_record(root, k, to_adc(y), age, sex, dx)


def _write_ptbxl_chunk(root: Path, sources_file: Path, spec: RehearsalSpec, ids: list[int],
                       picks: list[int]) -> None:
    signals = np.load(sources_file, mmap_mode="r")
    for ecg_id, s in zip(ids, picks):
        y = vary_signal(np.asarray(signals[s], np.float64), _record_rng(spec, 1, ecg_id))
        write_ptbxl_record(root, ecg_id, 500, to_adc(y))
        if spec.ptbxl_100hz:
            write_ptbxl_record(root, ecg_id, 100, to_adc(resample_signal(y, FS, 100)))


def _chunks(n: int, size: int) -> list[slice]:
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def build_rehearsal(out: str | Path, spec: RehearsalSpec, shared: str | Path | None = None, n_jobs: int = 2,
                    chunk: int = 500) -> dict:
    """Write (or reuse) the rehearsal at ``out`` and return its manifest (``out/rehearsal.json``, written last).

    A folder whose manifest has the same spec is reused as it is; any other content of ``out`` is replaced.
    Memory: the sources (~55 MB, memory-mapped by the workers) and one record per worker.
    """
    out = Path(out)
    manifest_file = out / "rehearsal.json"
    if manifest_file.exists():
        manifest = json.loads(manifest_file.read_text())
        if manifest.get("spec") == asdict(spec):
            return manifest
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    shared = Path(shared) if shared else shared_dir()
    src = load_sources(shared)
    sources_file = out / "sources.npy"
    np.save(sources_file, src.signals)
    real = real_prevalences(shared, src.labels)
    manifest: dict = {"spec": asdict(spec), "sources": len(src.keys), "labels": src.labels, "datasets": {}}
    rng = np.random.default_rng([spec.seed, 99])
    tasks = []
    # ecg-arrhythmia
    arr = out / "ecg-arrhythmia"
    (arr / "WFDBRecords").mkdir(parents=True)
    shutil.copy(shared / "data" / "ecg-arrhythmia" / "ConditionNames_SNOMED-CT.csv", arr)
    has_snomed = np.array([len(c) > 0 for c in src.snomed])
    target = np.array([real["ecg-arrhythmia"][lab] for lab in src.labels])
    w = source_weights(src.y_snomed[has_snomed], target)
    pool = np.flatnonzero(has_snomed)
    picks_arr = pool[rng.choice(len(pool), spec.n_arrhythmia, p=w)]
    ks = list(range(1, spec.n_arrhythmia + 1))
    meta = [(src.age[s], src.sex[s], src.snomed[s]) for s in picks_arr]
    for sl in _chunks(len(ks), chunk):
        tasks.append(delayed(_write_arrhythmia_chunk)(arr, sources_file, spec, ks[sl], list(picks_arr[sl]),
                                                      meta[sl]))
    manifest["datasets"]["ecg-arrhythmia"] = _prevalence_summary(src.labels, target, w @ src.y_snomed[has_snomed],
                                                                 src.y_snomed[picks_arr])
    # PTB-XL
    ptb = out / "ptb-xl"
    ptb.mkdir()
    shutil.copy(shared / "data" / "ptb-xl" / "scp_statements.csv", ptb)
    target = np.array([real["ptb-xl"][lab] for lab in src.labels])
    w = source_weights(src.y_ptbxl, target)
    picks_ptb = rng.choice(len(src.keys), spec.n_ptbxl, p=w)
    ids = list(range(1, spec.n_ptbxl + 1))
    for sl in _chunks(len(ids), chunk):
        tasks.append(delayed(_write_ptbxl_chunk)(ptb, sources_file, spec, ids[sl], list(picks_ptb[sl])))
    _ptbxl_database(src, picks_ptb, ids, rng, spec).to_csv(ptb / "ptbxl_database.csv", index=False)
    record_sources(src, picks_arr, picks_ptb).to_csv(out / SOURCES_FILE, index=False)
    manifest["datasets"]["ptb-xl"] = _prevalence_summary(src.labels, target, w @ src.y_ptbxl, src.y_ptbxl[picks_ptb])
    Parallel(n_jobs=n_jobs)(tasks)
    sources_file.unlink()
    manifest["seconds"] = round(time.perf_counter() - t0, 1)
    manifest_file.write_text(json.dumps(manifest, indent=1))
    return manifest


def record_sources(src: Sources, picks_arr: np.ndarray, picks_ptb: np.ndarray) -> pd.DataFrame:
    """The shared-sample ECG (``ecg_key``) each rehearsal record was made from, by dataset and record id as the
    readers name them: records of one source are relatives, so an honest held-out set keeps sources apart."""
    return pd.DataFrame({
        "dataset": ["ecg-arrhythmia"] * len(picks_arr) + ["ptb-xl"] * len(picks_ptb),
        "record_id": [f"JS{k:05d}" for k in range(1, len(picks_arr) + 1)]
        + [f"{k:05d}_hr" for k in range(1, len(picks_ptb) + 1)],
        "source": [src.keys[s] for s in picks_arr] + [src.keys[s] for s in picks_ptb]})


def _prevalence_summary(labels: list[str], target: np.ndarray, expected: np.ndarray, y: np.ndarray) -> dict:
    """Real prevalence, the fitted weights' expected prevalence, and the drawn records' prevalence per label."""
    def by_label(v):
        return dict(zip(labels, np.round(v, 4).tolist()))
    return {"records": int(len(y)), "prevalence_real": by_label(target), "prevalence_expected": by_label(expected),
            "prevalence_rehearsal": by_label(y.mean(axis=0))}


PTBXL_COLUMNS = ["ecg_id", "patient_id", "age", "sex", "height", "weight", "nurse", "site", "device",
                 "recording_date", "report", "scp_codes", "heart_axis", "infarction_stadium1", "infarction_stadium2",
                 "validated_by", "second_opinion", "initial_autogenerated_report", "validated_by_human",
                 "baseline_drift", "static_noise", "burst_noise", "electrodes_problems", "extra_beats", "pacemaker",
                 "strat_fold", "filename_lr", "filename_hr"]


def _ptbxl_database(src: Sources, picks: np.ndarray, ids: list[int], rng: np.random.Generator,
                    spec: RehearsalSpec) -> pd.DataFrame:
    """``ptbxl_database.csv``: one patient per record, strat_fold 1-10 at random, the source's codes."""
    rows = []
    for ecg_id, s in zip(ids, picks):
        age = src.age[s]
        rows.append({"ecg_id": ecg_id, "patient_id": float(ecg_id), "age": age if age is not None else np.nan,
                     "sex": {"M": 0, "F": 1}.get(src.sex[s] or "", np.nan),
                     "scp_codes": repr({c: 100.0 for c in src.scp[s]}), "strat_fold": int(rng.integers(1, 11)),
                     "filename_lr": ptbxl_path(ecg_id, 100) if spec.ptbxl_100hz else "",
                     "filename_hr": ptbxl_path(ecg_id, 500), "validated_by_human": True})
    return pd.DataFrame(rows).reindex(columns=PTBXL_COLUMNS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, required=True, help="total records (split 45,152 : 21,799)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-100hz", action="store_true", help="skip PTB-XL's records100 copies")
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args()
    spec = RehearsalSpec.total(args.records, args.seed, not args.no_100hz)
    manifest = build_rehearsal(args.out, spec, n_jobs=args.n_jobs)
    for name, d in manifest["datasets"].items():
        table = pd.DataFrame({"real": d["prevalence_real"], "expected": d["prevalence_expected"],
                              "rehearsal": d["prevalence_rehearsal"]})
        print(f"{name}: {d['records']} records\n{table.round(3).T.to_string()}")
    print(f"records={spec.n_arrhythmia + spec.n_ptbxl} seconds={manifest.get('seconds')} out={args.out}")


if __name__ == "__main__":
    main()
