from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ecgfeat.cli import main
from ecgfeat.exceptions import ChecksumError
from ecgfeat.records import read_index
from ecgfeat.records.fetch import fetch_dataset, parse_sha256sums, safe_relpath

from .physionet_server import PhysioNetMirror, sha256sums


@pytest.fixture()
def mirror(data_dir, ludb_dir):
    ptb = data_dir / "ptb-xl"
    extra = "".join(f"{hashlib.sha256((ptb / f).read_bytes()).hexdigest()} {f}\n"
                    for f in ("ptbxl_database.csv", "scp_statements.csv"))
    datasets = {
        "ptb-xl": ("1.0.3", ptb, (ptb / "SHA256SUMS.txt").read_text() + extra),
        "ecg-arrhythmia": ("1.0.0", data_dir / "ecg-arrhythmia", sha256sums(data_dir / "ecg-arrhythmia")),
        "ludb": ("1.0.1", ludb_dir, None),
    }
    with PhysioNetMirror(datasets) as m:
        yield m


def _verify(dest: Path) -> int:
    sums = parse_sha256sums((dest / "SHA256SUMS.txt").read_text())
    n = 0
    for rel, digest in sums.items():
        f = dest / rel
        if f.exists():
            assert hashlib.sha256(f.read_bytes()).hexdigest() == digest, rel
            n += 1
    return n


def test_fetch_ptbxl_subset_then_index_it(mirror, tmp_path):
    dest = tmp_path / "ptbxl"
    rep = fetch_dataset("ptb-xl", dest, n_records=3, sampling_rate=500, base_url=mirror.base_url, progress=False)
    assert sorted(Path(p).name for p in rep.downloaded if p.endswith(".hea")) == \
        ["00001_hr.hea", "00002_hr.hea", "00003_hr.hea"]
    assert _verify(dest) == 2 + 6  # two tables + 3 × (.hea, .dat)
    assert not list(dest.rglob("*.part"))
    index, qc = read_index(dest)
    assert list(index.record_id) == ["00001_hr", "00002_hr", "00003_hr"]
    assert len(qc) == 17  # rows of ptbxl_database.csv whose files were not fetched
    again = fetch_dataset("ptb-xl", dest, n_records=3, base_url=mirror.base_url, progress=False)
    assert again.downloaded == [str(dest / "SHA256SUMS.txt")] and len(again.skipped) == 8


def test_fetch_100hz_and_other_datasets(mirror, tmp_path):
    fetch_dataset("ptb-xl", tmp_path / "p", sampling_rate=100, base_url=mirror.base_url, progress=False)
    assert [p.name for p in (tmp_path / "p").rglob("*.hea")] == ["00001_lr.hea"]
    fetch_dataset("ecg-arrhythmia", tmp_path / "a", base_url=mirror.base_url, progress=False)
    index, _ = read_index(tmp_path / "a")
    assert sorted(index.record_id) == ["JS00001", "JS00002", "JS00004", "JS00005"]
    fetch_dataset("ludb", tmp_path / "l", n_records=2, base_url=mirror.base_url, progress=False)
    assert len(list((tmp_path / "l" / "data").iterdir())) == 2 * 14
    assert _verify(tmp_path / "l") == 1 + 28


def test_corrupted_file_is_rejected_and_removed(mirror, tmp_path):
    mirror.corrupt.add("ptb-xl/records500/00000/00002_hr.dat")
    with pytest.raises(ChecksumError, match="00002_hr.dat: SHA-256 .* does not match"):
        fetch_dataset("ptb-xl", tmp_path / "p", n_records=3, base_url=mirror.base_url, progress=False)
    assert not (tmp_path / "p/records500/00000/00002_hr.dat").exists()
    assert not (tmp_path / "p/records500/00000/00002_hr.dat.part").exists()
    mirror.corrupt.clear()  # the mirror is repaired: a second run completes
    rep = fetch_dataset("ptb-xl", tmp_path / "p", n_records=3, base_url=mirror.base_url, progress=False)
    assert any(p.endswith("00002_hr.dat") for p in rep.downloaded)
    assert _verify(tmp_path / "p") == 8


def test_interrupted_transfer_resumes_with_range(mirror, tmp_path):
    mirror.interrupt.add("ptb-xl/records500/00000/00001_hr.dat")
    rep = fetch_dataset("ptb-xl", tmp_path / "p", n_records=1, base_url=mirror.base_url, progress=False)
    assert rep.resumed == [str(tmp_path / "p/records500/00000/00001_hr.dat")]
    ranges = [r for path, r in mirror.requests if path.endswith("00001_hr.dat")]
    assert ranges[0] is None and ranges[1] == "bytes=60000-"  # half of 120,000 bytes, then the rest
    assert _verify(tmp_path / "p") == 4


def test_names_that_escape_dest_are_refused(tmp_path, data_dir):
    for bad in ["../evil.hea", "/etc/passwd", "records500/../../x.dat", "a\\..\\b", "C:/x"]:
        with pytest.raises(ValueError, match="escape"):
            safe_relpath(bad)
    evil = f"{'0' * 64} records500/../../evil.hea\n"
    with PhysioNetMirror({"ptb-xl": ("1.0.3", data_dir / "ptb-xl", evil)}) as m:
        with pytest.raises(ValueError, match="escape"):
            fetch_dataset("ptb-xl", tmp_path / "p", base_url=m.base_url, progress=False)
    assert not (tmp_path / "evil.hea").exists()


def test_cli_fetch(mirror, tmp_path, capsys):
    assert main(["fetch", "ptb-xl", "--dest", str(tmp_path / "p"), "--records", "2", "--rate", "500",
                 "--base-url", mirror.base_url, "--quiet"]) == 0
    assert "7 downloaded" in capsys.readouterr().out  # SHA256SUMS + 2 tables + 2 × (.hea, .dat)
    mirror.corrupt.add("ptb-xl/scp_statements.csv")
    assert main(["fetch", "ptb-xl", "--dest", str(tmp_path / "q"), "--records", "1",
                 "--base-url", mirror.base_url, "--quiet"]) == 2
    assert "scp_statements.csv: SHA-256" in capsys.readouterr().err
