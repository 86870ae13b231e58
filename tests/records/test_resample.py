from __future__ import annotations

import numpy as np
import pytest

from ecgfeat.records import resample_signal


def _sines(fs: float, seconds: float, freqs: list[float]) -> np.ndarray:
    t = np.arange(int(fs * seconds)) / fs
    return np.stack([np.sin(2 * np.pi * f * t + 0.3) for f in freqs], axis=1).astype(np.float32)


@pytest.mark.parametrize("src,dst", [(500, 100), (500, 250), (1000, 500), (500, 360), (257, 500)])
def test_known_sinusoid_keeps_amplitude_and_phase(src, dst):
    x = _sines(src, 10, [5.0, 12.5])
    y = resample_signal(x, src, dst)
    assert y.shape == (int(round(len(x) * dst / src)), 2) and y.dtype == np.float32
    expected = _sines(dst, 10, [5.0, 12.5])[: len(y)]
    core = slice(int(dst), len(y) - int(dst))  # 1 s away from the edges
    np.testing.assert_allclose(y[core], expected[core], atol=0.01)


def test_content_above_new_nyquist_is_removed():
    x = _sines(500, 10, [80.0])  # above 50 Hz, the Nyquist frequency at 100 Hz
    y = resample_signal(x, 500, 100)
    assert np.abs(y[100:-100]).max() < 0.02  # aliasing would leave a 20 Hz sine of amplitude ~1


def test_same_rate_is_a_copy_and_bad_rates_raise():
    x = _sines(500, 1, [3.0])
    y = resample_signal(x, 500, 500)
    assert y is not x and np.array_equal(x, y)
    with pytest.raises(ValueError, match="positive"):
        resample_signal(x, 0, 100)
