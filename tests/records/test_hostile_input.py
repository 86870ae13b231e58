"""Hostile and careless input at the data layer, each made from a real record of the shared sample: the record
is refused with a QC row naming it and the reason, nothing outside the dataset folder is read, and the run goes
on with every good record."""
from __future__ import annotations

import os
import re
import shutil
import struct
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecgfeat.exceptions import InvalidRecordError
from ecgfeat.records import read_index, read_indexes, read_record

from .test_bad_input import _copy, _edit_header


def _index(folder: Path, dataset: str = "cinc2021"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_index(folder, dataset=dataset)


@pytest.fixture()
def ga(data_dir) -> Path:
    return data_dir / "physionet-challenge-2021" / "WFDB_Ga" / "E00001"


@pytest.fixture()
def folder(tmp_path, ga) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    _copy(ga, d, "E90000")  # one good record in every folder
    return d


def _problem(qc: pd.DataFrame, record: str) -> str:
    rows = qc[(qc.record_id == record) & (qc.severity == "error")]
    assert len(rows) == 1, qc.to_dict("records")
    return rows.problem.iloc[0]


# defect 1 ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "..", "sub/E90001.mat"])
def test_signal_file_outside_the_folder_is_a_qc_row_not_a_crash(folder, ga, name, opened_paths):
    p = _copy(ga, folder, "E90001")
    _edit_header(p, lambda t: t.replace("E90001.mat", name))
    opened_paths.clear()
    index, qc = _index(folder)
    assert list(index.record_id) == ["E90000"]
    assert "not a plain file name" in _problem(qc, "E90001")
    assert not any(o.startswith("/etc") for o in opened_paths)
    with pytest.raises(InvalidRecordError, match="Record 'E90001'"):
        read_record(p)


def test_signal_file_symlinked_out_of_the_folder_is_refused(folder, ga, tmp_path, opened_paths):
    outside = tmp_path / "outside"
    outside.mkdir()
    _copy(ga, outside, "E90001")
    (folder / "E90001.hea").write_text((outside / "E90001.hea").read_text())
    os.symlink(outside / "E90001.mat", folder / "E90001.mat")
    opened_paths.clear()
    index, qc = _index(folder)
    assert list(index.record_id) == ["E90000"] and "outside" in _problem(qc, "E90001")
    assert not any(o.endswith("outside/E90001.mat") for o in opened_paths)


# defect 2 ---------------------------------------------------------------------------------------------------
def test_the_same_record_in_two_folders_is_indexed_once_with_a_qc_row(folder, ga, tmp_path):
    (folder / "a").mkdir()
    (folder / "b").mkdir()
    _copy(ga, folder / "a", "E90001")
    _copy(ga, folder / "b", "E90001")
    index, qc = _index(folder)
    assert sorted(index.record_id) == ["E90000", "E90001"]
    assert "record id also at" in _problem(qc, "E90001")
    # and across two dataset folders of the same layout
    other = tmp_path / "other"
    other.mkdir()
    _copy(ga, other, "E90000")
    index, qc = read_indexes([folder, other], dataset="cinc2021")
    assert index.duplicated(["record_id", "dataset"]).sum() == 0 and len(index) == 2
    assert "must be unique" in _problem(qc, "E90000")


# defect 3 ---------------------------------------------------------------------------------------------------
def _mat_v4(path: Path, matrix: np.ndarray, mtype: int) -> None:
    name = b"val\x00"
    head = struct.pack("<5i", mtype, matrix.shape[0], matrix.shape[1], 0, len(name)) + name
    path.write_bytes(head + np.asfortranarray(matrix).tobytes(order="F"))


@pytest.mark.parametrize("kind, message", [
    ("float64", "holds float64 data"), ("int32", "holds int32 data"), ("v5", "MAT v5"),
    ("transposed", "(transposed)"), ("wrong_name", "expected 'val'")])
def test_mat_files_that_are_not_v4_int16_are_refused(folder, ga, kind, message):
    p = _copy(ga, folder, "E90001")
    mat = folder / "E90001.mat"
    raw = np.frombuffer(mat.read_bytes()[24:], dtype="<i2").reshape(-1, 12).T  # (12, n) as stored
    if kind == "float64":
        _mat_v4(mat, raw.astype("<f8"), 0)
    elif kind == "int32":
        _mat_v4(mat, raw.astype("<i4"), 20)
    elif kind == "v5":
        mat.write_bytes(b"MATLAB 5.0 MAT-file, Platform: GLNXA64".ljust(128, b" ") + raw.tobytes())
    elif kind == "transposed":
        _mat_v4(mat, np.ascontiguousarray(raw.T), 30)
    else:
        data = bytearray(mat.read_bytes())
        data[20:24] = b"xyz\x00"
        mat.write_bytes(bytes(data))
    index, qc = _index(folder)
    assert list(index.record_id) == ["E90000"]
    assert message in _problem(qc, "E90001")
    with pytest.raises(InvalidRecordError, match=f"Record 'E90001'.*{re.escape(message[:10])}"):
        read_record(p)


def test_a_good_mat_still_reads_exactly(folder, ga):
    a, b = read_record(ga), read_record(folder / "E90000")
    assert np.array_equal(a.signal, b.signal)


# defect 4 ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_a_header_that_is_not_a_regular_file_is_refused_without_reading(folder, tmp_path, target):
    if target == "fifo":
        os.mkfifo(tmp_path / "fifo")
        target = str(tmp_path / "fifo")
    os.symlink(target, folder / "E90001.hea")
    index, qc = _index(folder)
    assert list(index.record_id) == ["E90000"]
    assert "refused" in _problem(qc, "E90001")


def test_a_header_symlinked_out_of_the_dataset_is_refused(folder, ga, tmp_path, opened_paths):
    outside = tmp_path / "outside"
    outside.mkdir()
    _copy(ga, outside, "E90001")
    os.symlink(outside / "E90001.hea", folder / "E90001.hea")
    opened_paths.clear()
    index, qc = _index(folder)
    assert list(index.record_id) == ["E90000"] and "outside" in _problem(qc, "E90001")
    assert not any(o.endswith("outside/E90001.hea") for o in opened_paths)


def test_an_oversized_header_is_refused(folder, ga):
    p = _copy(ga, folder, "E90001")
    _edit_header(p, lambda t: t + "#" + "x" * (1 << 20) + "\n")
    index, qc = _index(folder)
    assert "more than the" in _problem(qc, "E90001")


# implausible header values ----------------------------------------------------------------------------------
@pytest.mark.parametrize("rate", ["nan", "inf", "1e9", "0", "-500", "10"])
def test_implausible_sampling_rates_are_refused(folder, ga, rate):
    p = _copy(ga, folder, "E90001")
    _edit_header(p, lambda t: t.replace("E90001 12 500 5000", f"E90001 12 {rate} 5000", 1))
    index, qc = _index(folder)
    assert list(index.record_id) == ["E90000"] and "sampling rate" in _problem(qc, "E90001")


@pytest.mark.parametrize("count", ["0", "-5000", "abc"])
def test_impossible_sample_counts_are_refused(folder, ga, count):
    p = _copy(ga, folder, "E90001")
    _edit_header(p, lambda t: t.replace("E90001 12 500 5000", f"E90001 12 500 {count}", 1))
    index, qc = _index(folder)
    assert list(index.record_id) == ["E90000"]
    assert "sample count" in _problem(qc, "E90001") or "malformed record line" in _problem(qc, "E90001")


# defect 5 ---------------------------------------------------------------------------------------------------
@pytest.fixture()
def ptbxl(tmp_path, data_dir) -> Path:
    d = tmp_path / "ptb-xl"
    shutil.copytree(data_dir / "ptb-xl", d)
    return d


@pytest.mark.parametrize("column, value, message", [
    ("scp_codes", "{'NORM': 'x'}", "likelihood 'x'"), ("scp_codes", "{'NORM': None}", "likelihood None"),
    ("sex", "abc", "sex 'abc'"), ("strat_fold", "x", "strat_fold 'x'"), ("strat_fold", "11", "strat_fold"),
    ("age", "-4", "age"), ("patient_id", "p1", "patient_id 'p1'"), ("filename_hr", "", "filename_hr")])
def test_one_bad_ptbxl_row_is_a_qc_row_and_the_rest_is_indexed(ptbxl, column, value, message):
    db = pd.read_csv(ptbxl / "ptbxl_database.csv", dtype=str, keep_default_na=False)
    ecg_id = db.ecg_id.iloc[3]
    db.loc[3, column] = value
    db.to_csv(ptbxl / "ptbxl_database.csv", index=False)
    index, qc = read_index(ptbxl)
    assert len(index) == len(db) - 1
    bad = qc[qc.severity == "error"]
    assert len(bad) == 1 and f"ecg_id {ecg_id}" in bad.problem.iloc[0] and message in bad.problem.iloc[0]


def test_a_ptbxl_file_name_escaping_the_folder_is_refused(ptbxl, tmp_path, opened_paths):
    db = pd.read_csv(ptbxl / "ptbxl_database.csv", dtype=str, keep_default_na=False)
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(ptbxl / "records500/00000/00001_hr.hea", outside / "00001_hr.hea")
    shutil.copy(ptbxl / "records500/00000/00001_hr.dat", outside / "00001_hr.dat")
    db.loc[0, "filename_hr"] = "../outside/00001_hr"
    db.to_csv(ptbxl / "ptbxl_database.csv", index=False)
    opened_paths.clear()
    index, qc = read_index(ptbxl)
    assert len(index) == len(db) - 1 and "outside" in qc[qc.severity == "error"].problem.iloc[0]
    assert not any(o.endswith("outside/00001_hr.dat") for o in opened_paths)


# defect 10 --------------------------------------------------------------------------------------------------
def test_an_empty_folder_gives_an_empty_index_and_coverage(tmp_path):
    from ecgfeat.records import LabelTable

    index, qc = read_index(tmp_path, dataset="cinc2021")
    assert index.empty and qc.empty
    assert LabelTable.load().coverage(index).empty
