"""Per-lead QRS detection off LUDB: each lead's beats against the record's consensus beats, on the CinC-2021
sample (228 records from seven sources, no manual annotations).

The consensus beats (``anchors='consensus'``: all usable leads together) serve as the reference; they reached QRS
sensitivity 100 % and PPV ≥ 99.95 % in every lead on LUDB, out of fold (``bench_delineation_cv.py``). For every
usable lead, its own beats (``anchors='lead'``, the default) are matched one to one to the consensus beats within
150 ms: a consensus beat without a match is "missed" by the lead, a lead beat without one is "extra". Arms: the
shipped parameters and named earlier parameter sets, measured in the same run, so that a change tuned on LUDB
shows how it behaves on other sources.

    .venv/bin/python benchmarks/bench_beat_agreement.py [--records 228] [--n-jobs 2]
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import cinc_index  # noqa: E402

from ecgfeat.features.delineation_scoring import match_points  # noqa: E402
from ecgfeat.features.ecg_delineate import ecg_delineate  # noqa: E402
from ecgfeat.records import read_record  # noqa: E402

#: parameter sets compared with the shipped defaults ({}), by the feature schema that shipped them
ARMS = {"shipped": {},
        "shipped without the neighbour rule": {"qrs_neighbour_ms": 0.0},
        "schema 7": {"qrs_neighbour_ms": 0.0, "p_upright": 0.0, "qrs_smooth_ms": 16.0, "qrs_fraction": 0.001,
                     "qrs_noise_factor": 5.0}}
TOLERANCE_MS = 150.0


def lead_agreement(signal: np.ndarray, fs: float, arms: dict[str, dict]) -> pd.DataFrame:
    """One record: per arm and usable lead, consensus beats, those the lead misses and the lead's extra beats."""
    reference = ecg_delineate(signal, fs, anchors="consensus")
    rows = []
    for arm, params in arms.items():
        d = ecg_delineate(signal, fs, **params)
        for j in range(signal.shape[1]):
            ref, own = reference.lead(j)["qrs_peak"], d.lead(j)["qrs_peak"]
            ref, own = ref[np.isfinite(ref)], own[np.isfinite(own)]
            if len(ref) == 0 or len(own) == 0:  # an unusable lead: no beats to compare
                continue
            _, missed, extra = match_points(ref, own, TOLERANCE_MS * fs / 1000)
            rows.append((arm, j, len(ref), missed, extra))
    return pd.DataFrame(rows, columns=["arm", "lead", "consensus_beats", "missed", "extra"])


def _record(path: str, record_id: str, arms: dict[str, dict]) -> pd.DataFrame:
    warnings.simplefilter("ignore")
    rec = read_record(path)
    return lead_agreement(rec.signal.astype(float), rec.sampling_rate, arms).assign(record=record_id)


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Per arm: beats, missed and extra (% of consensus beats), and the share of leads with any disagreement."""
    g = rows.groupby("arm", sort=False)
    out = g[["consensus_beats", "missed", "extra"]].sum()
    out["missed_pct"] = 100 * out.missed / out.consensus_beats
    out["extra_pct"] = 100 * out.extra / out.consensus_beats
    out["leads"] = g.size()
    out["leads_disagreeing_pct"] = 100 * g.apply(lambda t: ((t.missed > 0) | (t.extra > 0)).mean(),
                                                  include_groups=False)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=228)
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args()
    index = cinc_index().head(args.records)
    rows = pd.concat(Parallel(n_jobs=args.n_jobs)(delayed(_record)(p, r, ARMS) for p, r in
                                                  zip(index.path, index.record_id)), ignore_index=True)
    print(f"Per-lead beats against the record's consensus beats (matched within {TOLERANCE_MS:g} ms), CinC-2021 "
          f"sample: {rows.record.nunique()} records, sources {', '.join(sorted(index.source.unique()))}")
    pd.set_option("display.width", 200)
    print(summarise(rows).round(2).to_string())


if __name__ == "__main__":
    main()
