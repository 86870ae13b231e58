"""Every bad input named in the data-layer issue, made from real records of the shared sample."""
from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from ecgfeat.exceptions import InvalidRecordError, LabelMappingWarning, LeadQualityWarning
from ecgfeat.records import LabelTable, read_index, read_record
from ecgfeat.records.header_fields import parse_dx


def _copy(src: Path, dest_dir: Path, new: str) -> Path:
    """Copy record ``src`` (header + signal file) under a new name, rewriting the header's file names."""
    old = src.name
    hea = src.with_name(old + ".hea").read_text()
    sig = next(p for p in src.parent.iterdir() if p.stem == old and p.suffix in (".mat", ".dat"))
    shutil.copy(sig, dest_dir / (new + sig.suffix))
    (dest_dir / (new + ".hea")).write_text(hea.replace(old, new))
    return dest_dir / new


def _edit_header(path: Path, fn) -> None:
    hea = path.with_name(path.name + ".hea")
    hea.write_text(fn(hea.read_text()))


@pytest.fixture()
def broken(tmp_path, data_dir) -> dict[str, Path]:
    """A CinC-style folder of real records, most of them damaged in one specific way."""
    cinc = data_dir / "physionet-challenge-2021"
    ga = cinc / "WFDB_Ga" / "E00001"
    d = tmp_path / "broken"
    d.mkdir()
    recs = {"ok": _copy(ga, d, "E90000")}
    recs["truncated_mat"] = p = _copy(ga, d, "E90001")
    data = (d / "E90001.mat").read_bytes()
    (d / "E90001.mat").write_bytes(data[: len(data) // 2])
    recs["truncated_dat"] = p = _copy(data_dir / "ptb-xl/records500/00000/00001_hr", d, "90002_hr")
    data = (d / "90002_hr.dat").read_bytes()
    (d / "90002_hr.dat").write_bytes(data[:-1000])
    recs["count_mismatch"] = p = _copy(ga, d, "E90003")
    _edit_header(p, lambda t: "\n".join(ln for ln in t.splitlines() if not ln.endswith(" V6")) + "\n")
    recs["missing_signal"] = p = _copy(ga, d, "E90004")
    (d / "E90004.mat").unlink()
    recs["non_numeric_dx"] = p = _copy(ga, d, "E90005")
    _edit_header(p, lambda t: t.replace("#Dx: 426783006", "#Dx: 426783006,NSR"))
    recs["empty_dx"] = _copy(cinc / "WFDB_Ningbo" / "JS20005", d, "JS20005")
    recs["unknown_code"] = p = _copy(ga, d, "E90006")
    _edit_header(p, lambda t: t.replace("#Dx: 426783006", "#Dx: 426783006,999999999"))
    recs["nan_samples"] = p = _copy(data_dir / "ptb-xl/records500/00000/00001_hr", d, "90007_hr")
    raw = np.fromfile(d / "90007_hr.dat", dtype="<i2").reshape(-1, 12)
    raw[100:150, 7] = -32768  # WFDB's invalid-sample marker for format 16, lead V2
    raw.tofile(d / "90007_hr.dat")
    recs["zero_gain"] = p = _copy(ga, d, "E90008")
    _edit_header(p, lambda t: t.replace("16+24 1000/mV 16 0 19", "16+24 0/mV 16 0 19"))  # lead aVF
    recs["unknown_units"] = p = _copy(ga, d, "E90009")
    _edit_header(p, lambda t: t.replace("1000/mV", "1000/mmHg"))
    recs["duplicate_lead"] = p = _copy(ga, d, "E90010")
    _edit_header(p, lambda t: t.replace(" 0 V5\n", " 0 V4\n"))
    return recs


@pytest.mark.parametrize("case,pattern", [
    ("truncated_mat", r"Record 'E90001'.*(truncated|could not be read)"),
    ("truncated_dat", r"Record '90002_hr'.*(truncated|could not be read)"),
    ("count_mismatch", r"Record 'E90003': header declares 12 signals but has 11 signal lines"),
    ("missing_signal", r"Record 'E90004': signal file E90004.mat is missing"),
    ("zero_gain", r"Record 'E90008': lead aVF has ADC gain 0"),
    ("unknown_units", r"Record 'E90009': lead I has unknown units 'mmHg'"),
    ("duplicate_lead", r"Record 'E90010': lead V4 appears twice"),
])
def test_bad_record_raises_naming_record_and_problem(broken, case, pattern):
    with pytest.raises(InvalidRecordError, match=pattern):
        read_record(broken[case])


def test_nan_samples_warn_with_record_lead_and_count(broken):
    with pytest.warns(LeadQualityWarning, match=r"Record '90007_hr' lead V2: 50 of 5000 samples are missing"):
        rec = read_record(broken["nan_samples"])
    assert np.isnan(rec.lead("V2")[100:150]).all()
    assert np.isfinite(np.delete(rec.signal, 7, axis=1)).all() and np.isfinite(rec.lead("V2")[:100]).all()


def test_empty_and_non_numeric_dx_entries_warn_and_are_dropped(broken):
    with pytest.warns(LabelMappingWarning, match=r"Record 'JS20005': #Dx has 1 empty entry"):
        rec = read_record(broken["empty_dx"])
    assert rec.codes == ("284470004", "89792004", "427084000", "427172004")
    with pytest.warns(LabelMappingWarning, match=r"Record 'E90005': #Dx has non-numeric entries \['NSR'\]"):
        rec = read_record(broken["non_numeric_dx"])
    assert rec.codes == ("426783006",)
    with pytest.warns(LabelMappingWarning, match="empty"):
        assert parse_dx(" , ", "X") == []


def test_index_over_broken_folder_finishes_and_lists_every_problem(broken):
    folder = broken["ok"].parent
    index, qc = read_index(folder, dataset="cinc2021")
    errors = qc[qc.severity == "error"].set_index("record_id")["problem"]
    assert set(errors.index) == {"E90001", "90002_hr", "E90003", "E90004", "E90008", "E90009", "E90010"}
    assert "truncated" in errors["E90001"] and "truncated" in errors["90002_hr"]
    assert "12 signals but has 11" in errors["E90003"]
    assert "missing" in errors["E90004"]
    warn = qc[qc.severity == "warning"].groupby("record_id")["problem"].apply(" | ".join)
    assert "empty entry" in warn["JS20005"] and "non-numeric" in warn["E90005"]
    assert "no #Dx" in warn["90007_hr"]  # PTB-XL headers carry no labels
    # the readable records are indexed, the broken ones are not
    assert set(index.record_id) == {"E90000", "E90005", "JS20005", "E90006", "90007_hr"}
    # unknown codes are counted and reported, never dropped silently
    cov = LabelTable.load().coverage(index)
    assert "999999999(1)" in cov.loc[0, "unmapped"]


def test_index_never_reads_signals(broken, monkeypatch):
    import wfdb

    def boom(*a, **k):
        raise AssertionError("index build read a signal")

    monkeypatch.setattr(wfdb, "rdrecord", boom)
    monkeypatch.setattr(wfdb, "rdsamp", boom)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        index, _ = read_index(broken["ok"].parent, dataset="cinc2021")
    assert len(index) == 5


def test_iter_records_streams_and_reports_unreadable_records(data_dir):
    from ecgfeat.records import iter_records

    index, _ = read_index(data_dir / "ptb-xl")
    index = index.iloc[:3].copy()
    index.loc[index.index[1], "path"] = str(data_dir / "ptb-xl" / "records500" / "00000" / "nope_hr")
    qc: list = []
    ids = [rec.record_id for rec in iter_records(index, qc)]
    assert ids == ["00001_hr", "00003_hr"]
    assert len(qc) == 1 and qc[0]["severity"] == "error" and "header file nope_hr.hea is missing" in qc[0]["problem"]
    with pytest.raises(InvalidRecordError):
        list(iter_records(index))
