"""ecgfeat's ECGSYN: the model's rhythm and morphology, and the same signals under any BLAS kernel or SIMD level."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from ecgfeat.records.ecgsyn import ecgsyn, rr_tachogram

FS = 500.0


@pytest.mark.parametrize("heart_rate", [50.0, 75.0, 110.0])
def test_r_peaks_are_the_beats_maxima_at_the_requested_rate(heart_rate):
    z, r = ecgsyn(30.0, FS, heart_rate, np.random.default_rng(3))
    assert z.shape == (int(30 * FS),) and np.isclose(z.min(), -0.4) and np.isclose(z.max(), 1.2)
    rr_s = np.diff(r) / FS
    assert abs(60 / rr_s.mean() - heart_rate) < 0.02 * heart_rate
    assert rr_s.std() > 0  # heart-rate variability
    for p in r[(r > 40) & (r < len(z) - 40)]:  # each R peak is its beat's maximum (±2 samples)
        window = z[p - 40:p + 41]
        assert abs(int(np.argmax(window)) - 40) <= 2, p
    # between beats the signal has P and T waves: something above the baseline away from the R peaks
    mid = ((r[1:-1] + r[2:]) // 2)
    assert np.median(z[mid]) < 0.5


def test_rr_variability_has_the_requested_sd_and_its_two_rhythms():
    rr = rr_tachogram(60.0, np.random.default_rng(0), hr_std=2.0)
    t = np.arange(0, 600, 0.25)
    x = rr(t)
    assert abs(x.mean() - 1.0) < 0.005
    assert abs(x.std() - 60 * 2.0 / 60 ** 2) < 0.15 * (60 * 2.0 / 60 ** 2)
    power = np.abs(np.fft.rfft(x - x.mean())) ** 2
    f = np.fft.rfftfreq(len(x), 0.25)
    band = lambda lo, hi: power[(f >= lo) & (f < hi)].sum()  # noqa: E731
    assert band(0.05, 0.15) > 0.1 * power.sum() and band(0.2, 0.3) > 0.4 * power.sum()  # Mayer waves and RSA


def test_the_same_seed_gives_the_same_record_and_another_seed_another():
    a, ra = ecgsyn(10.0, FS, 70.0, np.random.default_rng(1))
    b, rb = ecgsyn(10.0, FS, 70.0, np.random.default_rng(1))
    c, _ = ecgsyn(10.0, FS, 70.0, np.random.default_rng(2))
    assert np.array_equal(a, b) and np.array_equal(ra, rb) and not np.allclose(a, c)


_DIGEST = """
import hashlib, sys, warnings
import numpy as np
warnings.simplefilter("ignore")
if sys.argv[1] == "ecgfeat":
    from ecgfeat.records.synthetic import simulate_record
    x = np.concatenate([simulate_record(f"R{i}", {"RSR_V1": 1, "TWI_V2": 1, "STE_II": 1}, np.random.default_rng(i))
                        .signal.ravel() for i in range(3)])
else:  # the control: NeuroKit2's ECGSYN, whose adaptive solver goes through BLAS
    import neurokit2 as nk
    x = np.asarray(nk.ecg_simulate(duration=10, sampling_rate=500, heart_rate=70, method="ecgsyn", random_state=0))
print(hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest())
"""
SETTINGS = [{"OPENBLAS_CORETYPE": None, "NPY_DISABLE_CPU_FEATURES": ""},
            {"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": ""},
            {"OPENBLAS_CORETYPE": "Prescott", "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"}]


def _digests(generator: str) -> list[str]:
    digests = []
    for setting in SETTINGS:
        env = {k: v for k, v in os.environ.items() if k not in setting}
        env.update({k: v for k, v in setting.items() if v is not None})
        out = subprocess.run([sys.executable, "-c", _DIGEST, generator], env=env, capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        digests.append(out.stdout.strip().splitlines()[-1])
    return digests


def test_synthetic_records_are_bit_identical_under_other_blas_kernels_and_simd_levels():
    """The synthetic cohort, and every golden table computed from it, must not depend on the BLAS kernel or the
    SIMD level. The control, NeuroKit2's ECGSYN, shows that these settings do change a BLAS-bound computation
    here (on this project's machine it gave a different record under each of them)."""
    control = _digests("neurokit")
    if len(set(control)) == 1:
        pytest.skip("on this machine these settings change no BLAS or SIMD result: nothing to compare")
    digests = _digests("ecgfeat")
    assert len(set(digests)) == 1, digests
