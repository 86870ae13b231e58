from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ecgfeat.cli import main
from ecgfeat.exceptions import ChecksumError, DownloadError, UsageError
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


# --- hostile mirrors and folders (hostile-input issue) --------------------------------------------------------
DAT = "records500/00000/00001_hr.dat"


def test_a_part_file_symlinked_outside_dest_is_never_written_through(mirror, tmp_path):
    """Defect 7: a pre-existing .part symlink to a file outside --dest."""
    dest = tmp_path / "dest"
    outside = tmp_path / "precious.txt"
    outside.write_text("do not overwrite")
    part = dest / (DAT + ".part")
    part.parent.mkdir(parents=True)
    part.symlink_to(outside)
    (dest / DAT.replace(".dat", ".hea")).parent.mkdir(parents=True, exist_ok=True)
    fetch_dataset("ptb-xl", dest, n_records=1, base_url=mirror.base_url, progress=False)
    assert outside.read_text() == "do not overwrite"
    final = dest / DAT
    assert final.is_file() and not final.is_symlink()
    assert _verify(dest) >= 3


def test_a_target_symlinked_outside_dest_is_replaced_not_followed(mirror, tmp_path, opened_paths):
    dest = tmp_path / "dest"
    outside = tmp_path / "precious.dat"
    outside.write_bytes(b"x" * 10)
    (dest / DAT).parent.mkdir(parents=True)
    (dest / DAT).symlink_to(outside)
    opened_paths.clear()
    fetch_dataset("ptb-xl", dest, n_records=1, base_url=mirror.base_url, progress=False)
    assert str(outside) not in opened_paths
    assert outside.read_bytes() == b"x" * 10 and not (dest / DAT).is_symlink()


def test_a_redirect_to_another_host_is_refused(mirror, tmp_path, data_dir):
    forged = tmp_path / "forged"
    forged.mkdir()
    (forged / "00001_hr.dat").write_bytes(b"forged")
    other = PhysioNetMirror({"ptb-xl": ("1.0.3", forged, sha256sums(forged))})
    with other:
        port = other.server.server_address[1]
        mirror.redirect["ptb-xl/SHA256SUMS.txt"] = f"http://localhost:{port}/files/ptb-xl/1.0.3/SHA256SUMS.txt"
        with pytest.raises(DownloadError, match="redirect.*another host"):
            fetch_dataset("ptb-xl", tmp_path / "dest", n_records=1, base_url=mirror.base_url, progress=False)
        assert not other.requests  # the other host was never asked


def test_an_endless_stream_is_cut_at_the_size_limit_and_removed(mirror, tmp_path):
    mirror.endless.add(f"ptb-xl/{DAT}")
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match="more than 1000000 bytes"):
        fetch_dataset("ptb-xl", dest, n_records=1, base_url=mirror.base_url, progress=False,
                      max_file_bytes=1_000_000)
    assert not (dest / (DAT + ".part")).exists() and not (dest / DAT).exists()


@pytest.mark.parametrize("base_url", ["http://example.org/files", "ftp://127.0.0.1/files", "file:///etc"])
def test_only_https_or_a_loopback_mirror(base_url, tmp_path, monkeypatch):
    import ecgfeat.records.fetch as fetch

    monkeypatch.setattr(fetch, "_get", lambda *a, **k: pytest.fail("refused URLs must not be contacted"))
    with pytest.raises(UsageError, match="https"):
        fetch_dataset("ptb-xl", tmp_path / "dest", n_records=1, base_url=base_url, progress=False)


def test_bad_record_counts_are_refused(tmp_path, capsys, monkeypatch):
    import ecgfeat.records.fetch as fetch

    monkeypatch.setattr(fetch, "_get", lambda *a, **k: pytest.fail("refused requests must not be sent"))
    with pytest.raises(UsageError, match="records"):
        fetch_dataset("ptb-xl", tmp_path / "dest", n_records=-1, base_url="https://127.0.0.1/files")
    with pytest.raises(SystemExit) as exc:  # argparse: one usage line, exit 2
        main(["fetch", "ptb-xl", "--dest", str(tmp_path / "d"), "--records", "-1"])
    assert exc.value.code == 2 and "must be at least 1" in capsys.readouterr().err
