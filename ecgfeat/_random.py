"""Independent random streams from one user seed."""
from __future__ import annotations

import numpy as np


def stream_seeds(seed: int, streams: tuple[str, ...]) -> dict[str, int]:
    """One integer seed per named stream, spawned from ``seed`` by :class:`numpy.random.SeedSequence`, so the
    streams are independent. Seeding two streams with the same integer makes them draw the same numbers (for
    example bootstrap multipliers equal to a simulated cohort's latent signals). Adding a name at the end of
    ``streams`` leaves the earlier streams' seeds unchanged."""
    children = np.random.SeedSequence(seed).spawn(len(streams))
    return {name: int(child.generate_state(1)[0]) for name, child in zip(streams, children)}
