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


def test_study_on_shared_sample_writes_artifacts(shared, tmp_path, capsys):
    assert main(["study", "--artifacts", str(tmp_path), "--run-id", "t", "--quiet",
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    out = capsys.readouterr().out
    assert "252 records indexed" in out and "372 feature columns" in out
    feats = pd.read_parquet(tmp_path / "t" / "features.parquet")
    assert feats.shape == (252, 2 + 372)
    assert feats.filter(like="II__hr_bpm").notna().mean().iloc[0] > 0.95
    index = pd.read_csv(tmp_path / "t" / "index.csv")
    assert len(index) == 252 and set(index.dataset) == {"ptb-xl", "ecg-arrhythmia", "cinc2021"}
    qc = pd.read_csv(tmp_path / "t" / "qc.csv")
    assert list(qc.record_id) == ["JS20005"]


def test_missing_data_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["study", "--data", str(tmp_path / "nope"), "--artifacts", str(tmp_path)]) == 2
    assert "data folders not found" in capsys.readouterr().err


def test_index_round_trip(shared, tmp_path):
    from ecgfeat.records import read_index, read_saved_index, save_index

    index, _ = read_index(shared / "data" / "ptb-xl")
    save_index(index, tmp_path / "i.csv")
    back = read_saved_index(tmp_path / "i.csv")
    assert list(back.codes) == list(index.codes)
    assert back.record_id.tolist() == index.record_id.tolist()
    pd.testing.assert_series_equal(back.strat_fold, index.strat_fold, check_dtype=False)
