"""Shared fixtures: the shared data folder (``$ECGFEAT_SHARED``, default ``../shared``).

A test that needs the shared data skips when it is absent, except in CI (``CI=true``), where missing
data is a failure: CI always has it, so a skip there would hide a broken set-up.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecgfeat.paths import shared_dir


def _require(path: Path) -> Path:
    if not path.exists():
        msg = f"shared data not found at {path} (set ECGFEAT_SHARED)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def shared() -> Path:
    return _require(shared_dir())


@pytest.fixture(scope="session")
def data_dir(shared: Path) -> Path:
    return _require(shared / "data")


@pytest.fixture(scope="session")
def ludb_dir(shared: Path) -> Path:
    return _require(shared / "reference" / "ludb")


@pytest.fixture(scope="session")
def cinc_ref_dir(shared: Path) -> Path:
    return _require(shared / "reference" / "cinc2021")


@pytest.fixture(scope="session")
def sample_index(data_dir: Path):
    """(index, qc) of the whole shared sample: PTB-XL, ecg-arrhythmia and CinC-2021."""
    from ecgfeat.records import read_indexes, shared_sample_roots

    return read_indexes(shared_sample_roots(data_dir.parent))


_OPENED: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _OPENED is not None and event in ("open", "os.listdir", "os.scandir") and args and \
            isinstance(args[0], (str, bytes, os.PathLike)):
        _OPENED.append(os.fsdecode(args[0]))


@pytest.fixture()
def opened_paths():
    """Every path opened by this process while the test runs (a CPython audit hook)."""
    global _OPENED
    if not getattr(_audit, "installed", False):
        import sys

        sys.addaudithook(_audit)
        _audit.installed = True
    _OPENED = []
    try:
        yield _OPENED
    finally:
        _OPENED = None
