"""Tests of the benchmark scripts; :func:`load_benchmark` imports one by file name."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load_benchmark(file_name: str) -> ModuleType:
    """The benchmark script ``benchmarks/<file_name>`` as a module (its ``main`` is not run)."""
    spec = importlib.util.spec_from_file_location(Path(file_name).stem, BENCHMARKS / file_name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
