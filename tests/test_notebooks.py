"""Both notebooks execute top to bottom and show their figures inline (outputs are not kept in git)."""
from __future__ import annotations

import base64
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _images(cell) -> list[str]:
    return [o["data"]["image/png"] for o in cell.get("outputs", [])
            if o.get("output_type") in ("display_data", "execute_result") and "image/png" in o.get("data", {})]


@pytest.mark.parametrize("name, min_images", [("01_quickstart.ipynb", 4), ("02_read_study_artifacts.ipynb", 4)])
def test_notebook_executes_and_shows_its_figures(name, min_images, shared, tmp_path, monkeypatch):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") for c in code), "strip outputs before committing"
    assert not any("matplotlib.use" in c.source for c in code), "a notebook must not switch the backend"
    plotting = [c for c in code if "figure" in c.get("metadata", {}).get("tags", [])]
    assert plotting, "plotting cells carry the tag 'figure'"
    if name.startswith("02"):
        monkeypatch.setenv("ECGFEAT_RUN", str(_small_run(tmp_path)))
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    for cell in plotting:
        assert _images(cell), f"plotting cell shows no image:\n{cell.source}"
    images = [img for c in code for img in _images(c)]
    assert len(images) >= min_images
    keep = os.environ.get("ECGFEAT_NOTEBOOK_IMAGES")  # to look at the figures as a reader would
    if keep:
        for k, img in enumerate(images):
            (Path(keep) / f"{name[:2]}_{k}.png").write_bytes(base64.b64decode(img))


def _small_run(tmp_path: Path) -> Path:
    from ecgfeat.study import StudyConfig, run_study

    cfg = StudyConfig(name="nb", source="synthetic", synthetic_records=90, n_boot=30, n_folds=3,
                      lead_sets=["12-lead", "single-II", "single-V1", "precordial"], local_rows=20, retrain_evaluations=0,
                      k_max=3, exhaustive_up_to=2, min_heldout_positives=5)
    return run_study(cfg, artifacts=tmp_path, run_id="nb", progress=False)
