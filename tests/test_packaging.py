"""The user path from a wheel: build it, install it non-editable into a fresh virtual environment, and use it
from a folder outside the source tree (no `pip install -e` hiding missing packages or data files)."""
from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out),
                    str(ROOT)], check=True, cwd=out)
    (path,) = out.glob("ecgfeat-*.whl")
    return path


def test_wheel_ships_every_subpackage_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = sorted(str(p.parent.relative_to(ROOT)) for p in (ROOT / "ecgfeat").rglob("*.py")
                      if "__pycache__" not in p.parts)
    for pkg in set(packages):
        assert f"{pkg}/__init__.py" in names, f"{pkg} is missing from the wheel"
    for data in ("ecgfeat/pipelines/synthetic.yaml", "ecgfeat/pipelines/shared_sample.yaml",
                 "ecgfeat/pipelines/reference_study.yaml", "ecgfeat/records/data/labels_v1.csv"):
        assert data in names


SMALL_STUDY = """name: wheel-check
source: synthetic
synthetic_records: 60
label_set: planted
min_positives: 4
n_folds: 3
n_boot: 10
n_estimators: 30
lead_sets: [12-lead, single-V1]
local_rows: 5
retrain_evaluations: 0
k_max: 1
exhaustive_up_to: 1
n_jobs: 1
"""


def test_installed_wheel_runs_from_outside_the_source_tree(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bindir = env_dir / "bin"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([str(bindir / "pip"), "install", "-q", str(wheel)], check=True, env=env, cwd=tmp_path)
    work = tmp_path / "elsewhere"
    work.mkdir()

    def run(*args: str) -> str:
        out = subprocess.run(args, capture_output=True, text=True, env=env, cwd=work)
        assert out.returncode == 0, out.stderr[-3000:]
        return out.stdout

    assert run(str(bindir / "ecgfeat"), "--version").startswith("ecgfeat ")
    where = run(str(bindir / "python"), "-c",
                "import ecgfeat, ecgfeat.models.classifier, ecgfeat.importance, ecgfeat.reports.plots; "
                "from ecgfeat.study import StudyConfig; StudyConfig.named('reference'); print(ecgfeat.__file__)")
    assert str(env_dir) in where and str(ROOT) not in where  # the installed copy, not the checkout
    (work / "small.yaml").write_text(SMALL_STUDY)
    run(str(bindir / "ecgfeat"), "study", "small.yaml", "--artifacts", "art", "--run-id", "w", "--quiet")
    run_dir = work / "art" / "w"
    for name in ("report.md", "report.html", "manifest.json", "features.parquet", "labels.csv"):
        assert (run_dir / name).is_file(), name
    assert "installed package" in (run_dir / "manifest.json").read_text()
