"""ECGSYN (McSharry et al., IEEE TBME 2003) without an adaptive ODE solver: the same signals on every machine.

ECGSYN moves a point around the unit circle at angular velocity ω(t) = 2π / RR(t) and pushes its height z past five
Gaussian events (P, Q, R, S, T at angles θ_i with heights a_i and widths b_i, in radians):

    dz/dt = −Σ_i a_i Δθ_i exp(−Δθ_i² / (2 b_i²)) − (z − z_0(t)),  Δθ_i = (θ − θ_i) wrapped to (−π, π]

with z_0 a 0.25 Hz respiratory baseline of 5 µV. The reference implementation (and NeuroKit2's ``ecgsyn``)
integrates the three-dimensional system with an adaptive Runge-Kutta solver whose step control amplifies rounding
differences between BLAS kernels into signal differences of tenths of a millivolt. Here the trajectory stays on the
unit circle (it starts there, and the circle attracts), so θ(t) is the integral of ω: linear between consecutive
R peaks (θ = 0). z is then a linear first-order ODE in its forcing, solved exactly for a forcing held over each
internal step (a first-order recursive filter, ``scipy.signal.lfilter``) at ``INTERNAL_FACTOR`` times the output
rate, and decimated. The RR tachogram is ECGSYN's bimodal spectrum (Mayer waves at 0.1 Hz, respiratory sinus
arrhythmia at 0.25 Hz, LF/HF ratio 0.5), synthesised as an explicit sum of cosines with random phases. No step
goes through BLAS or an FFT.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.signal import lfilter

#: angles (degrees), heights and widths (rad) of the P, Q, R, S and T events at 60 beats/min (ECGSYN's defaults)
EVENT_ANGLES_DEG = (-70.0, -15.0, 0.0, 15.0, 100.0)
EVENT_HEIGHTS = (1.2, -5.0, 30.0, -7.5, 0.75)
EVENT_WIDTHS = (0.25, 0.1, 0.1, 0.1, 0.4)
#: internal sampling rate / output sampling rate
INTERNAL_FACTOR = 4
#: simulated before t = 0 and discarded (s): five time constants of z's decay
WARM_UP_S = 5.0


def rr_tachogram(heart_rate: float, rng: np.random.Generator, hr_std: float = 1.0,
                 lf_hf: float = 0.5, n_frequencies: int = 128) -> Callable[[np.ndarray | float], np.ndarray]:
    """RR(t) in seconds: mean 60 / ``heart_rate`` (beats/min), SD 60·``hr_std`` / heart_rate², power spectrum two
    Gaussians (0.1 Hz and 0.25 Hz, SD 0.01 Hz, LF/HF power ``lf_hf``), as a sum of cosines on a frequency grid
    with uniform random phases. Returns a function of time (s)."""
    f_max = 0.5
    freqs = np.arange(1, n_frequencies + 1) * f_max / n_frequencies  # Hz
    spectrum = lf_hf * np.exp(-0.5 * ((freqs - 0.1) / 0.01) ** 2) + np.exp(-0.5 * ((freqs - 0.25) / 0.01) ** 2)
    phases = rng.uniform(0.0, 2 * np.pi, n_frequencies)
    amplitudes = np.sqrt(spectrum)
    # scale so that the SD of RR(t) (the mean square of a sum of cosines is Σ A²/2) is the requested one
    rr_mean, rr_std = 60.0 / heart_rate, 60.0 * hr_std / heart_rate ** 2
    amplitudes = amplitudes * rr_std / np.sqrt(0.5 * np.sum(amplitudes ** 2))

    def rr(t: np.ndarray | float) -> np.ndarray:
        t = np.atleast_1d(np.asarray(t, dtype=float))
        return rr_mean + np.sum(amplitudes * np.cos(2 * np.pi * freqs * t[:, None] + phases), axis=1)
    return rr


def r_peak_times(start_s: float, end_s: float, rr: Callable[[float], np.ndarray],
                 rng: np.random.Generator) -> np.ndarray:
    """R-peak times (s) covering [start_s, end_s] with one beat either side: the first R peak falls at a uniform
    random point of its beat before ``start_s``, each next one RR(t) after the previous."""
    first = start_s - float(rr(start_s)[0]) * rng.uniform(0.0, 1.0)
    times = [first]
    while times[-1] <= end_s:
        times.append(times[-1] + float(rr(times[-1])[0]))
    return np.asarray(times)


def ecgsyn(duration_s: float, sampling_rate: float, heart_rate: float, rng: np.random.Generator,
           hr_std: float = 1.0, lf_hf: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """One ECGSYN lead: (signal in mV scaled to [−0.4, 1.2] as ECGSYN does, R-peak sample indices).

    duration_s in s, sampling_rate in Hz, heart_rate and hr_std in beats/min. Deterministic given ``rng``'s state,
    and the same on any machine (no BLAS, no adaptive step)."""
    n = int(round(duration_s * sampling_rate))
    fs_int = sampling_rate * INTERNAL_FACTOR
    rr = rr_tachogram(heart_rate, rng, hr_std, lf_hf)
    lead_in = int(WARM_UP_S * fs_int)  # z's initial condition decays with a 1 s time constant: start earlier
    t = (np.arange(n * INTERNAL_FACTOR + lead_in) - lead_in) / fs_int
    peaks = r_peak_times(t[0], t[-1], rr, rng)
    k = np.searchsorted(peaks, t, side="right") - 1  # the beat each instant belongs to (R peak k ≤ t < k+1)
    start, length = peaks[k], peaks[k + 1] - peaks[k]
    theta = 2 * np.pi * (t - start) / length  # 0 at the R peak, 2π at the next
    # ECGSYN's rate adaptation of the events: widths × sqrt(HR/60), P and T angles × (HR/60)^¼, Q and S × sqrt
    factor = np.sqrt(heart_rate / 60.0)
    angles = np.deg2rad(EVENT_ANGLES_DEG) * np.array([np.sqrt(factor), factor, 1.0, factor, np.sqrt(factor)])
    widths = np.asarray(EVENT_WIDTHS) * factor
    forcing = np.zeros_like(t)
    for a_i, theta_i, b_i in zip(EVENT_HEIGHTS, angles, widths):
        d = np.mod(theta - theta_i + np.pi, 2 * np.pi) - np.pi
        forcing -= a_i * d * np.exp(-0.5 * (d / b_i) ** 2)
    z_base = 0.005 * np.sin(2 * np.pi * 0.25 * t)
    # dz/dt = forcing + z_base − z with the forcing held over each step h:
    # z' = e^{−h} z + (1 − e^{−h})(forcing + z_base)
    decay = np.exp(-1.0 / fs_int)
    z = lfilter([1.0 - decay], [1.0, -decay], forcing + z_base, zi=[0.04 * decay])[0]
    z = z[lead_in::INTERNAL_FACTOR]
    z = (z - z.min()) * 1.6 / (z.max() - z.min()) - 0.4
    r = np.round(peaks * sampling_rate).astype(int)
    return z, r[(r >= 0) & (r < n)]
