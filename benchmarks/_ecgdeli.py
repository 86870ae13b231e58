"""ECGdeli (KIT-IBT's MATLAB toolbox, through its Python port ``ecgdeli`` 1.0.0 on PyPI) as a benchmark-only
reference delineator. It is GPL-3.0, so ecgfeat never depends on it: install it into the benchmark's environment
on demand with ``pip install ecgdeli==1.0.0``.

Default settings: ``ecgdeli.filter_ecg`` (1–40 Hz band-pass, 50 Hz notch) then ``ecgdeli.annotate`` on all leads
at once; its per-lead fiducial tables (``Annotation.leads``) are scored, in the port's default bug-compatible
``matlab`` fidelity or its ``fixed`` one.
"""
from __future__ import annotations

import numpy as np

ECGDELI_VERSION = "1.0.0"
#: benchmark method name → ecgdeli fidelity mode
FIDELITIES = {"ecgdeli": "matlab", "ecgdeli-fixed": "fixed"}
#: ecgfeat fiducial name → column of ecgdeli's fiducial table (P on/peak/off, QRS on, Q, R, S, QRS off, J,
#: T on/peak/off). ECGdeli's R is both the anchor and the R peak.
_COLUMNS = {"p_on": 0, "p_peak": 1, "p_off": 2, "qrs_on": 3, "qrs_peak": 5, "r_peak": 5, "s_peak": 6,
            "qrs_off": 7, "t_on": 9, "t_peak": 10, "t_off": 11}


def require_ecgdeli():
    """The ``ecgdeli`` module at the tested version, or a RuntimeError saying how to install it."""
    try:
        import ecgdeli
    except ImportError:
        raise RuntimeError("ECGdeli is a benchmark-only reference (GPL-3.0, not an ecgfeat dependency): "
                           f"install it with `pip install ecgdeli=={ECGDELI_VERSION}`, or leave it out of "
                           "--methods") from None
    from importlib.metadata import version

    if version("ecgdeli") != ECGDELI_VERSION:
        raise RuntimeError(f"the benchmark was written against ecgdeli {ECGDELI_VERSION}, found "
                           f"{version('ecgdeli')}")
    return ecgdeli


def delineate_ecgdeli(signal: np.ndarray, sampling_rate: float, method: str = "ecgdeli") -> list[dict[str, np.ndarray]]:
    """Per lead of ``signal`` (n_samples, n_leads, mV): fiducial name → sample index per beat (float, NaN absent).
    A lead ECGdeli fails on gets no beats."""
    ecgdeli = require_ecgdeli()
    x = np.nan_to_num(np.asarray(signal, float))
    with ecgdeli.fidelity(FIDELITIES[method]):
        filtered = ecgdeli.filter_ecg(x, sampling_rate)
        annotation = ecgdeli.annotate(filtered, sampling_rate)
    out = []
    for fpt in annotation.leads:
        table = fpt.samples
        out.append({name: table[:, k].copy() for name, k in _COLUMNS.items()})
    return out
