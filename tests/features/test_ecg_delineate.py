"""ecg_delineate on synthetic beat trains whose wave positions are known."""
from __future__ import annotations

import numpy as np

from ecgfeat.features.ecg_delineate import ecg_delineate
from ecgfeat.features.simulate import BeatShape, simulate_beat_train

FS = 500.0


def _t_peak_errors_ms(x: np.ndarray, rr_ms: float = 800.0, first_r_ms: float = 400.0, t_ms: float = 300.0):
    d = ecg_delineate(x[:, None], FS)
    pts = d.lead(0)
    truth = (np.arange(first_r_ms, 10_000, rr_ms) + t_ms) * FS / 1000
    tp = pts["t_peak"][np.isfinite(pts["t_peak"])]
    assert len(tp) >= 0.8 * len(truth)
    return np.array([np.min(np.abs(truth - t)) for t in tp]) * 1000 / FS


def test_flat_noisy_t_wave_is_found_where_it_is():
    """A flat T wave (0.06 mV) in 0.03 mV noise, followed by a larger late slow baseline swing:
    one beat alone cannot tell them apart, the lead's median beat can."""
    rng = np.random.default_rng(0)
    shape = BeatShape(t=(0.06, 300.0, 45.0))
    x = simulate_beat_train(shape, FS).astype(float)
    t = np.arange(len(x)) / FS * 1000
    for r in np.arange(400.0, 10_000, 800.0):  # a slow negative swing 520 ms after every R, random size
        x += -rng.uniform(0.08, 0.14) * np.exp(-0.5 * ((t - r - 520) / 50) ** 2)
    x += rng.normal(0, 0.03, len(x))
    err = _t_peak_errors_ms(x)
    assert np.mean(err <= 40) >= 0.85, np.round(err)  # one-beat choice: 0.69 of beats


def test_clear_t_wave_timing_unchanged():
    err = _t_peak_errors_ms(simulate_beat_train(BeatShape(), FS).astype(float))
    assert err.max() <= 6, err


def test_registry_is_the_one_list_of_methods():
    """The extractor, the study config and the CLI take their method choices from DELINEATION_METHODS."""
    import pytest

    from ecgfeat.cli import build_parser
    from ecgfeat.features.ecg_delineate import DELINEATION_METHODS
    from ecgfeat.features.extractor import LeadFeatureExtractor
    from ecgfeat.study.config import StudyConfig

    assert list(DELINEATION_METHODS) == ["ecgfeat", "dwt", "peak", "prominence", "cwt"]
    features = build_parser()._subparsers._group_actions[0].choices["features"]
    assert [list(a.choices) for a in features._actions if a.dest == "method"] == [list(DELINEATION_METHODS)]
    assert LeadFeatureExtractor._parameter_constraints["method"][0].options == set(DELINEATION_METHODS)
    with pytest.raises(ValueError, match="anchors"):
        StudyConfig(source="synthetic", feature_method="dwt", feature_anchors="consensus")
    with pytest.raises(ValueError, match="must be one of"):
        ecg_delineate(np.zeros((1000, 1)), FS, method="magic")


def test_neurokit_cwt_keeps_p_and_t_waves_it_returns_for_fewer_beats():
    """NeuroKit2's 'cwt' returns P and T waves for 10 of 11 beats of this record; they were dropped whole (length
    mismatch), leaving method='cwt' features without P or T. Each is now assigned to its own beat."""
    import warnings

    import neurokit2 as nk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = nk.ecg_simulate(duration=10, sampling_rate=500, random_state=0)
    pts = ecg_delineate(x[:, None], 500.0, method="cwt").lead(0)
    for name in ("p_on", "p_peak", "p_off", "t_peak", "t_off"):
        assert np.isfinite(pts[name]).mean() >= 0.9, name
    p_before_r = pts["p_peak"] < pts["r"]
    t_after_r = pts["t_peak"] > pts["r"]
    assert p_before_r[np.isfinite(pts["p_peak"])].all() and t_after_r[np.isfinite(pts["t_peak"])].all()
