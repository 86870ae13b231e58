"""bench_beat_agreement.py: per-lead beats against consensus beats, on a simulated 12-lead record with known
beats."""
from __future__ import annotations

import numpy as np

from ecgfeat.features.simulate import BeatShape, simulate_12lead

from . import load_benchmark


def _bench():
    return load_benchmark("bench_beat_agreement.py")


def test_a_lead_with_a_sharp_wave_before_each_beat_counts_extra_beats_only_without_the_rule():
    bench = _bench()
    # V1 carries a sharp 0.8 mV wave 240 ms before each QRS complex; the other leads do not
    signal = simulate_12lead({"V1": BeatShape(p=(0.8, -240.0, 6.0))}, duration_s=9.7).astype(float)
    rows = bench.lead_agreement(signal, 500.0, {"rule": {}, "no rule": {"qrs_neighbour_ms": 0.0}})
    by = rows.set_index(["arm", "lead"])
    assert (by.consensus_beats == 12).all()
    assert (by.missed == 0).all()
    assert by.loc[("no rule", 6), "extra"] == 12  # V1: every sharp wave a beat
    assert by.extra.drop(("no rule", 6)).sum() == 0
    summary = bench.summarise(rows)
    assert summary.loc["no rule", "extra_pct"] == np.float64(100 * 12 / (12 * 12))
    assert summary.loc["rule", "leads_disagreeing_pct"] == 0
