from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from ecgfeat.cli import main


def test_help_of_every_subcommand():
    for args in (["--help"], ["fetch", "--help"], ["index", "--help"], ["features", "--help"], ["study", "--help"]):
        out = subprocess.run([sys.executable, "-m", "ecgfeat.cli", *args], capture_output=True, text=True)
        assert out.returncode == 0 and "usage: ecgfeat" in out.stdout


def test_index_and_features_subcommands(shared, tmp_path, capsys):
    ptb = str(shared / "data" / "ptb-xl")
    assert main(["index", ptb, "--out", str(tmp_path / "i")]) == 0
    assert "20 records indexed" in capsys.readouterr().out
    assert main(["features", str(tmp_path / "i" / "index.csv"), "--out", str(tmp_path / "f"), "--quiet",
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    feats = pd.read_parquet(tmp_path / "f" / "features.parquet")
    assert feats.shape == (20, 2 + 372) and feats["II__hr_bpm"].notna().all()


def test_missing_data_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["study", "--data", str(tmp_path / "nope"), "--artifacts", str(tmp_path), "--quiet"]) == 2
    assert "data folders not found" in capsys.readouterr().err


def test_index_round_trip(shared, tmp_path):
    from ecgfeat.records import read_index, read_saved_index, save_index

    index, _ = read_index(shared / "data" / "ptb-xl")
    save_index(index, tmp_path / "i.csv")
    back = read_saved_index(tmp_path / "i.csv")
    assert list(back.codes) == list(index.codes)
    assert back.record_id.tolist() == index.record_id.tolist()
    pd.testing.assert_series_equal(back.strat_fold, index.strat_fold, check_dtype=False)
