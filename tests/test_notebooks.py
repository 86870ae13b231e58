"""Both notebooks execute top to bottom (outputs are not kept in git)."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@pytest.mark.parametrize("name", ["01_quickstart.ipynb", "02_read_study_artifacts.ipynb"])
def test_notebook_executes(name, shared, tmp_path, monkeypatch):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "strip outputs before committing"
    if name.startswith("02"):
        monkeypatch.setenv("ECGFEAT_RUN", str(_small_run(tmp_path)))
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors


def _small_run(tmp_path: Path) -> Path:
    from ecgfeat.study import StudyConfig, run_study

    cfg = StudyConfig(name="nb", source="synthetic", synthetic_records=90, n_boot=30, n_folds=3,
                      lead_sets=["12-lead", "single-II", "single-V1", "precordial"], local_rows=20, retrain_evaluations=0,
                      k_max=3, exhaustive_up_to=2)
    return run_study(cfg, artifacts=tmp_path, run_id="nb", progress=False)
