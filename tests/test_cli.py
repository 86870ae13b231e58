"""The command line as a user drives it: the step-by-step chain on the shared sample, and misuse that must end
in one line on stderr with exit code 2 (never a traceback)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from ecgfeat import __version__
from ecgfeat.cli import main

SUBCOMMANDS = ["fetch", "index", "features", "train", "evaluate", "importance", "explain", "report", "study"]


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ecgfeat.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_help_of_every_subcommand_and_version():
    for args in (["--help"], *[[c, "--help"] for c in SUBCOMMANDS]):
        out = _run(*args)
        assert out.returncode == 0 and "usage: ecgfeat" in out.stdout, args
    out = _run("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"ecgfeat {__version__}"
    for c in ("evaluate", "importance", "explain"):  # every option of the scoring commands is documented
        text = _run(c, "--help").stdout
        assert "--split" in text or c == "explain"
        assert text.count("--") <= text.count("\n") + 5


def _one_line_error(capsys, code: int, needle: str) -> None:
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert needle in err, err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err


@pytest.fixture(scope="module")
def chain(data_dir, tmp_path_factory):
    """index → features on the CinC-2021 and PTB-XL samples (248 records)."""
    work = tmp_path_factory.mktemp("chain")
    assert main(["index", str(data_dir / "physionet-challenge-2021"), str(data_dir / "ptb-xl"),
                 "--out", str(work / "idx")]) == 0
    assert main(["features", str(work / "idx" / "index.csv"), "--out", str(work / "feats"), "--quiet",
                 "--cache-dir", str(work / "cache")]) == 0
    return work


def test_index_writes_labels_keyed_like_the_features_with_the_split(chain):
    labels = pd.read_csv(chain / "idx" / "labels.csv", dtype={"record_id": str})
    feats = pd.read_parquet(chain / "feats" / "features.parquet")
    assert list(labels.columns[:4]) == ["record_id", "dataset", "fold", "split"]
    assert set(labels.split) == {"train", "test"} and (labels.split == "test").sum() == (labels.fold == 10).sum()
    assert labels.set_index(["record_id", "dataset"]).index.equals(feats.set_index(["record_id", "dataset"]).index)
    # the same ECG in PTB-XL and in CinC-2021 (HR records) never straddles train and test
    index = pd.read_csv(chain / "idx" / "index.csv")
    both = labels.assign(ecg_key=index["ecg_key"]).groupby("ecg_key")["split"].nunique()
    assert (both == 1).all()
    assert feats.shape == (248, 2 + 372) and feats["II__hr_bpm"].notna().mean() > 0.95


def test_train_evaluate_importance_explain_on_held_out_records(chain, capsys):
    f, lab, m = str(chain / "feats" / "features.parquet"), str(chain / "idx" / "labels.csv"), str(chain / "m")
    assert main(["train", "--features", f, "--labels", lab, "--lead-dropout", "0.3", "--out", m]) == 0
    out = capsys.readouterr().out
    labels = pd.read_csv(lab, dtype={"record_id": str})
    n_train = int((labels.split == "train").sum())
    assert f"on {n_train} records of the training split" in out
    assert "skipped (fewer than 1 positives in the training split): STE (0), SVT (0)" in out
    trained = pd.read_csv(chain / "m" / "training_records.csv", dtype=str)
    assert len(trained) == n_train

    assert main(["evaluate", "--model", m, "--features", f, "--labels", lab, "--boot", "50", "--min-positives", "2",
                 "--out", str(chain / "e.csv")]) == 0
    n_test = int((labels.split == "test").sum())
    assert f"{n_test} records of the 'test' split" in capsys.readouterr().out
    res = pd.read_csv(chain / "e.csv").set_index("label")
    assert res.loc["SR", "n"] == n_test and 0.5 < res.loc["macro", "auroc"] < 1.0

    code = main(["evaluate", "--model", m, "--features", f, "--labels", lab, "--split", "train"])
    _one_line_error(capsys, code, f"{n_train} of the {n_train} records to score were used to train the model")
    assert main(["evaluate", "--model", m, "--features", f, "--labels", lab, "--split", "all", "--boot", "20",
                 "--allow-training-records"]) == 0
    assert "WARNING" in capsys.readouterr().err

    assert main(["importance", "--model", m, "--features", f, "--labels", lab, "--game", "global", "--quiet",
                 "--out", str(chain / "imp.csv")]) == 0
    imp = pd.read_csv(chain / "imp.csv")
    assert list(imp.columns[:12]) == ["label", "lead", "value_function", "estimate", "ci_low", "ci_high", "mc_se",
                                      "p_top1", "p_top3", "n_pos_heldout", "n_neg_heldout", "status"]
    out = capsys.readouterr().out
    assert f"on {n_test} records of the 'test' split" in out and "not ranked (fewer than 5 positives" in out
    few = imp[(imp.n_pos_heldout < 5) | (imp.n_neg_heldout < 5)]
    assert len(few) and (few.status == "insufficient").all()
    ranked = imp[imp.status == "ranked"]
    assert len(ranked) and (ranked.ci_low <= ranked.estimate).all() and (ranked.estimate <= ranked.ci_high).all()
    assert (ranked.ci_high - ranked.ci_low > 0).any()
    assert np.allclose(ranked.groupby("label").p_top1.sum(), 1.0)

    rid = labels.loc[labels.split == "test", "record_id"].iloc[0]
    assert main(["explain", rid, "--model", m, "--features", f, "--index", str(chain / "idx" / "index.csv"),
                 "--label", "SR", "--out", str(chain / "ex")]) == 0
    for png in (f"{rid}_ecg.png", f"{rid}_SR_waterfall.png"):
        img = mpimg.imread(chain / "ex" / png)
        assert img.shape[0] > 300 and img.shape[1] > 300
        assert img[..., :3].std() > 0.05  # not a blank canvas


def test_misuse_ends_in_one_line_and_exit_2(chain, tmp_path, capsys):
    f, lab = str(chain / "feats" / "features.parquet"), str(chain / "idx" / "labels.csv")
    cases = [
        (["train", "--features", f, "--labels", lab, "--label", "XYZ", "--out", str(tmp_path / "m")],
         "unknown label(s) ['XYZ']"),
        (["train", "--features", lab, "--labels", lab, "--out", str(tmp_path / "m")], "is not a parquet file"),
        (["train", "--features", f, "--labels", str(tmp_path / "none.csv"), "--out", str(tmp_path / "m")],
         "labels table"),
        (["evaluate", "--model", str(tmp_path / "nomodel"), "--features", f, "--labels", lab],
         "is not a model folder"),
        (["index", str(tmp_path)], "no record found"),
        (["study", "no-such-config"], "neither a file nor one of the shipped configs"),
        (["study", "synthetic", "--data", str(tmp_path)], "not both"),
        (["report", str(tmp_path)], "not a study run folder"),
    ]
    for args, needle in cases:
        _one_line_error(capsys, main(args), needle)
    labels = pd.read_csv(lab, dtype={"record_id": str}).drop(columns=["split", "fold"])
    labels.to_csv(tmp_path / "nosplit.csv", index=False)
    _one_line_error(capsys, main(["train", "--features", f, "--labels", str(tmp_path / "nosplit.csv"), "--out",
                                  str(tmp_path / "m")]), "has no 'split' column")


@pytest.mark.parametrize("text, needle", [
    ("source: synthtic\n", "source = 'synthtic' is not one of"),
    ("just a string\n", "a study config is a mapping"),
    ("n_folds: five\n", "n_folds = 'five' must be an integer"),
    ("lead_sets: [limb, cinc-6]\n", "are the same leads"),
    ("n_jobs: 0\n", "n_jobs = 0 must be -1"),
    ("colour: red\n", "unknown keys ['colour']"),
    ("label_set: study18\n", "label_set = 'study18' is not one of"),
    ("train_datasets: [cinc2020]\n", "names unknown datasets ['cinc2020']"),
])
def test_bad_study_configs_fail_before_any_work(tmp_path, capsys, text, needle):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    _one_line_error(capsys, main(["study", str(cfg), "--artifacts", str(tmp_path / "a")]), needle)
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())


def test_n_jobs_option(capsys):
    out = _run("study", "--n-jobs", "0", "--help")
    assert out.returncode == 2 and "must be -1" in out.stderr
    from ecgfeat.cli import _n_jobs

    import os

    assert _n_jobs("1000") == os.cpu_count() and "exceeds" in capsys.readouterr().err


def test_shipped_configs_are_found_by_name_from_any_folder(tmp_path):
    from ecgfeat.study import NAMED_CONFIGS, StudyConfig

    for name in NAMED_CONFIGS:
        cfg = StudyConfig.named(name)
        assert cfg.name and cfg.lead_sets


def test_index_round_trip(shared, tmp_path):
    from ecgfeat.records import read_index, read_saved_index, save_index

    index, _ = read_index(shared / "data" / "ptb-xl")
    save_index(index, tmp_path / "i.csv")
    back = read_saved_index(tmp_path / "i.csv")
    assert list(back.codes) == list(index.codes)
    assert back.record_id.tolist() == index.record_id.tolist()
    pd.testing.assert_series_equal(back.strat_fold, index.strat_fold, check_dtype=False)


def test_worker_count_is_capped_and_checked():
    import os
    import warnings

    from ecgfeat._parallel import worker_count
    from ecgfeat.exceptions import ConfigError

    cores = os.cpu_count()
    assert worker_count(-1) == cores and worker_count(1) == 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert worker_count(1000) == cores
    assert "exceeds" in str(caught[0].message)
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ConfigError):
            worker_count(bad)


def test_unwritable_output_and_strict_mode(data_dir, tmp_path, capsys):
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o500)
    try:
        if os.access(locked, os.W_OK):  # root ignores permissions: use a file where a folder is expected
            locked = tmp_path / "a-file"
            locked.write_text("")
        _one_line_error(capsys, main(["index", str(data_dir / "ptb-xl"), "--out", str(locked / "x")]),
                        "cannot write to the output folder")
    finally:
        os.chmod(tmp_path / "locked", 0o700)
    # a folder with one refused record: exit 0 normally, 1 with --strict, outputs written either way
    import shutil

    folder = tmp_path / "mixed"
    folder.mkdir()
    src = data_dir / "physionet-challenge-2021" / "WFDB_Ga"
    for rec in ("E00001", "E00002"):
        for ext in (".hea", ".mat"):
            shutil.copy(src / (rec + ext), folder / (rec + ext))
    (folder / "E00002.mat").write_bytes(b"\0" * 10)
    assert main(["index", str(folder), "--dataset", "cinc2021", "--out", str(tmp_path / "i1"), "--n-folds", "2"]) == 0
    assert main(["index", str(folder), "--dataset", "cinc2021", "--out", str(tmp_path / "i2"), "--n-folds", "2",
                 "--strict"]) == 1
    assert (tmp_path / "i2" / "qc.csv").is_file() and "refused" in capsys.readouterr().err
