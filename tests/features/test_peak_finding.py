"""The compiled peak search and sums give what SciPy's ``find_peaks`` and NumPy's ``sum`` give, value for value:
the delineator and the beat measurements rely on it to stay unchanged by compilation."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.signal import find_peaks

from ecgfeat.features.beat_measurements import pairwise_sum
from ecgfeat.features.peak_finding import (count_prominent_peaks, local_maxima, most_prominent_peak, peak_prominence,
                                           peak_width)

# few distinct values, so plateaus, ties and equal neighbours are common
segments = arrays(np.float64, st.integers(0, 60), elements=st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, -1.0, 3.25]))


@settings(max_examples=400, deadline=None)
@given(segments)
def test_local_maxima_and_prominences_match_scipy(x):
    peaks, props = find_peaks(x, prominence=0)
    assert local_maxima(x).tolist() == peaks.tolist()
    for p, prom, lb, rb in zip(peaks, props["prominences"], props["left_bases"], props["right_bases"]):
        assert peak_prominence(x, p) == (prom, lb, rb)


@settings(max_examples=400, deadline=None)
@given(segments, st.sampled_from([0.0, 1.0, 2.5, 4.0]))
def test_widths_and_most_prominent_peak_match_scipy(x, min_width):
    peaks, props = find_peaks(x, prominence=0, width=min_width)
    all_peaks, all_props = find_peaks(x, prominence=0, width=0)
    for p, w, prom, lb, rb in zip(all_peaks, all_props["widths"], all_props["prominences"], all_props["left_bases"],
                                  all_props["right_bases"]):
        assert peak_width(x, p, prom, lb, rb, 0.5) == w
    best, best_prominence = most_prominent_peak(x, min_width)
    if len(peaks):
        k = int(np.argmax(props["prominences"]))
        assert (best, best_prominence) == (peaks[k], props["prominences"][k])
    else:
        assert best == -1


def test_peaks_of_a_real_like_segment_match_scipy():
    rng = np.random.default_rng(3)
    x = np.abs(np.cumsum(rng.normal(0, 0.02, 400)) + 0.3 * np.sin(np.linspace(0, 9, 400)))
    peaks, props = find_peaks(x, prominence=0)
    assert len(peaks) > 20
    assert local_maxima(x).tolist() == peaks.tolist()
    assert [peak_prominence(x, p)[0] for p in peaks] == props["prominences"].tolist()


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2100), st.integers(0, 2**32 - 1))
def test_pairwise_sum_equals_numpy_sum_bit_for_bit(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n) * 10.0 ** rng.uniform(-4, 4, n)  # wide dynamic range: order changes the result
    assert pairwise_sum(x) == x.sum()
    assert pairwise_sum(np.abs(x)) == np.abs(x).sum()


def test_summation_order_matters_here_so_the_test_above_can_fail():
    differ = 0
    for seed in range(20):
        x = np.random.default_rng(seed).standard_normal(1000)
        naive = 0.0
        for v in x:
            naive += v
        differ += naive != x.sum()
    assert differ >= 10


def test_compiled_code_reloads_from_the_cache_in_a_new_process(tmp_path):
    """Each worker of a run loads the compiled kernels from numba's cache; a kernel that only works when freshly
    compiled (as a recursive one did: it crashed on reload) would crash every worker but the first."""
    script = textwrap.dedent("""
        import numpy as np
        from ecgfeat.features.beat_measurements import pairwise_sum
        from ecgfeat.features.ecg_delineate import ecg_delineate
        from ecgfeat.features.lead_features import lead_features
        from ecgfeat.features.simulate import BeatShape, simulate_beat_train
        x = simulate_beat_train(BeatShape(), 500.0).astype(float)[:, None]
        d = ecg_delineate(x, 500.0)
        f = lead_features(d, 0, x[:, 0])
        print(int(d.n_beats[0]), round(f["qrs_dur_ms"], 6), pairwise_sum(np.arange(1000.0)))
    """)
    import ecgfeat

    # the same ecgfeat as this process (source tree or installed wheel), a fresh numba cache
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "numba"), "PATH": "/usr/bin:/bin",
           "PYTHONPATH": str(Path(ecgfeat.__file__).resolve().parents[1])}
    outputs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
               for _ in range(2)]  # first compiles and writes the cache, second loads it
    for out in outputs:
        assert out.returncode == 0, out.stderr[-2000:]
    assert any((tmp_path / "numba").rglob("*.nbi"))
    assert outputs[0].stdout == outputs[1].stdout


@settings(max_examples=300, deadline=None)
@given(segments, st.sampled_from([0.0, 0.5, 1.0, 2.0]))
def test_count_of_prominent_peaks_matches_scipy(x, min_prominence):
    assert count_prominent_peaks(x, min_prominence) == len(find_peaks(x, prominence=min_prominence)[0])
