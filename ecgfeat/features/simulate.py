"""Synthetic beat trains with known wave amplitudes and timings (ground truth for tests and demos)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._constants import LEADS


@dataclass(frozen=True)
class BeatShape:
    """Gaussian waves of one beat: amplitude (mV), centre relative to R (ms), width σ (ms)."""

    p: tuple[float, float, float] = (0.15, -160.0, 20.0)
    q: tuple[float, float, float] = (-0.10, -28.0, 8.0)
    r: tuple[float, float, float] = (1.00, 0.0, 10.0)
    s: tuple[float, float, float] = (-0.25, 28.0, 8.0)
    t: tuple[float, float, float] = (0.30, 300.0, 40.0)

    def scaled(self, factor: float) -> "BeatShape":
        return BeatShape(*[(a * factor, c, w) for a, c, w in (self.p, self.q, self.r, self.s, self.t)])


def simulate_beat_train(shape: BeatShape = BeatShape(), sampling_rate: float = 500.0, duration_s: float = 10.0,
                        rr_ms: float = 800.0, first_r_ms: float = 400.0) -> np.ndarray:
    """One lead (mV) of identical beats every ``rr_ms`` ms (a sum of Gaussians on a flat baseline)."""
    t = np.arange(int(duration_s * sampling_rate)) / sampling_rate * 1000.0
    x = np.zeros_like(t)
    for r in np.arange(first_r_ms, t[-1] + 500, rr_ms):
        for amp, centre, width in (shape.p, shape.q, shape.r, shape.s, shape.t):
            x += amp * np.exp(-0.5 * ((t - r - centre) / width) ** 2)
    return x.astype(np.float32)


def simulate_12lead(shapes: dict[str, BeatShape] | None = None, **kwargs) -> np.ndarray:
    """(n_samples, 12) beat trains; leads not in ``shapes`` use the default shape (aVR inverted)."""
    shapes = dict(shapes or {})
    shapes.setdefault("aVR", BeatShape().scaled(-1.0))
    return np.stack([simulate_beat_train(shapes.get(lead, BeatShape()), **kwargs) for lead in LEADS], axis=1)
