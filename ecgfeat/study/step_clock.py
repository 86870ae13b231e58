"""Wall time of each step of a study run (index, features, lead-set models, bootstrap, games, report)."""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from typing import Iterator

logger = logging.getLogger("ecgfeat.study")

#: the study's steps in the order they run
STUDY_STEPS = ("index", "data_hashes", "features", "lead_set_models", "bootstrap", "masked_games",
               "lead_set_search", "mc_convergence", "retraining_game", "report")


class StepClock:
    """Accumulated wall seconds per step; ``current`` names the step running now (read by a memory sampler in
    another thread, e.g. ``benchmarks/bench_scale.py``)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.current: str | None = None

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the block as step ``name`` (seconds add up when a step runs in several blocks)."""
        outer, self.current = self.current, name
        t0 = time.perf_counter()
        logger.info("step %s started", name)
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0
            self.current = outer
            logger.info("step %s: %.1f s", name, self.seconds[name])
