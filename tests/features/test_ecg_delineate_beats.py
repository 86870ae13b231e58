"""The compiled per-beat steps of the delineator against their definitions."""
from __future__ import annotations

import numpy as np
import pytest

from ecgfeat.features.beat_measurements import MEASUREMENTS, qrs_st_t_measurements
from ecgfeat.features.ecg_delineate_beats import _steepest, trapezium


@pytest.mark.parametrize("seed", range(20))
def test_trapezium_maximises_the_area_by_brute_force(seed):
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(size=80))
    t_m, t_r = (int(v) for v in rng.integers(0, 80, 2))
    lo, hi = min(t_m, t_r), max(t_m, t_r)
    areas = [abs(0.5 * (x[t_m] - x[k]) * (2 * t_r - k - t_m)) for k in range(lo, hi + 1)]
    assert trapezium(x, t_m, t_r) == (lo + int(np.argmax(areas)) if t_m != t_r else t_m)


@pytest.mark.parametrize("seed", range(20))
def test_steepest_point_is_the_argmax_of_the_signed_gradient(seed):
    rng = np.random.default_rng(seed)
    x = np.round(np.cumsum(rng.normal(size=60)), 1)  # ties in the slope are common
    a = int(rng.integers(0, 50))
    b = a + int(rng.integers(0, 10))
    for sign in (1.0, -1.0):
        expected = a + int(np.argmax(sign * np.gradient(x[a:b + 1]))) if b > a else a
        assert _steepest(x, a, b, sign) == expected


def test_qrs_st_t_measurements_of_a_known_beat():
    fs = 1000.0
    xc = np.zeros(1000)
    xc[100:110] = np.array([-0.1, -0.2, 0.5, 1.0, 0.5, -0.3, -0.4, -0.1, 0.0, 0.0])  # Q, R, S on a 0.1 mV PR level
    xc += 0.1
    xs = np.full(1000, 0.1)
    xs[150:300] += 0.2  # a T wave 0.2 mV tall from 150 ms to 300 ms
    xs[169] = 0.25  # ST level at J + 60 ms (J = 109)
    m = qrs_st_t_measurements(xc, xs, np.array([100.0, np.nan]), np.array([109.0, 300.0]), np.array([299.0, 400.0]),
                              np.array([0.1, 0.1]), fs)
    got = dict(zip(MEASUREMENTS, m[0]))
    assert got["r_amp_mv"] == pytest.approx(1.0)
    assert got["q_amp_mv"] == pytest.approx(-0.2)
    assert got["s_amp_mv"] == pytest.approx(-0.4)
    assert got["qrs_area_mvms"] == pytest.approx(0.9)  # (−0.1 −0.2 +0.5 +1.0 +0.5 −0.3 −0.4 −0.1) mV × 1 ms
    assert got["qrs_abs_area_mvms"] == pytest.approx(3.1)
    assert got["qrs_p2p_mv"] == pytest.approx(1.4)
    assert got["qrs_notches"] == 1  # the Q wave is an extremum beyond the R and S
    assert got["st_level_mv"] == pytest.approx(0.15)
    assert got["t_area_mvms"] == pytest.approx(0.2 * 149 + 0.15)  # J + 40 ms = 149 to T offset 299, 1 ms apart
    assert np.isnan(m[1]).all()  # no QRS onset: no measurement
