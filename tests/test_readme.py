"""Every Python block of the README runs, top to bottom in one session, as a reader would paste them."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_python_blocks():
    assert len(python_blocks()) >= 4


def test_every_python_block_runs(data_dir, tmp_path, monkeypatch):
    pytest.importorskip("torch")  # the deep-model block; torch is in the dev extra
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the blocks call shap's plots, which show figures
    namespace: dict = {}
    for k, block in enumerate(python_blocks()):
        try:
            exec(compile(block, f"README.md python block {k + 1}", "exec"), namespace)
        except Exception as exc:  # name the block in the failure
            raise AssertionError(f"README python block {k + 1} failed: {type(exc).__name__}: {exc}\n{block}") from exc
    assert (tmp_path / "model" / "manifest.json").is_file() and (tmp_path / "ecg.png").is_file()
    assert namespace["phi"].outputs == ["SR", "AFIB", "STach"]
