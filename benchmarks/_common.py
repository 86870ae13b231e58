"""Helpers shared by the benchmark scripts: the shared sample, child-process arms and peak memory."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from ecgfeat.paths import shared_dir


def crossing(points: list[tuple[float, float]], level: float = 0.01, never: float | None = None) -> float | None:
    """Evaluations at which the error falls to ``level``, from (evaluations, error) points: log-log interpolation
    between the two that bracket it; ``never`` if it is never reached."""
    import numpy as np

    pts = sorted(points)
    for (e0, r0), (e1, r1) in zip(pts, pts[1:]):
        if r0 > level >= r1:
            t = (np.log(r0) - np.log(level)) / (np.log(r0) - np.log(r1))
            return float(np.exp(np.log(e0) + t * (np.log(e1) - np.log(e0))))
    return float(pts[0][0]) if pts and pts[0][1] <= level else never


def cinc_index():
    from ecgfeat.records import read_index

    index, _ = read_index(shared_dir() / "data" / "physionet-challenge-2021")
    return index


def simulated_cohort_model(n_records: int, cohort_seed: int, split_seed: int, model_seed: int):
    """(X, Y, test, model): a simulated cohort (``CohortDesign()``), a 20 % held-out mask drawn from ``split_seed``,
    and the study's importance model (lead dropout, all-lead dropout, no class weights) fitted on the rest."""
    import numpy as np

    from ecgfeat.importance.simulation import CohortDesign, simulate_lead_cohort
    from ecgfeat.models.classifier import LeadGroupedXGBClassifier

    X, Y = simulate_lead_cohort(n_records, CohortDesign(), random_state=cohort_seed)
    test = np.zeros(n_records, bool)
    test[np.random.default_rng(split_seed).choice(n_records, int(round(0.2 * n_records)), replace=False)] = True
    model = LeadGroupedXGBClassifier(n_estimators=60, max_depth=3, imbalance="none", early_stopping_rounds=None,
                                     random_state=model_seed % 2 ** 31, lead_dropout=0.3,
                                     empty_dropout=0.05).fit(X[~test], Y[~test])
    return X, Y, test, model


def peak_rss_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its largest finished child (MB, Linux ru_maxrss in KB)."""
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_main_mb": round(me, 1), "peak_rss_largest_worker_mb": round(kids, 1)}


def run_arm(script: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    """Run one measured arm in a fresh interpreter (clean memory figures); it prints one JSON line last. ``env``
    adds to this process's environment."""
    out = subprocess.run([sys.executable, str(script), "--arm", *args], capture_output=True, text=True, check=True,
                         env={**os.environ, **(env or {})})
    return json.loads(out.stdout.strip().splitlines()[-1])


def sample_features(datasets: tuple[str, ...] = ("cinc2021",), label_set: str = "study17", n_jobs: int = 2):
    """(index, features, labels) of the shared sample, features cached under ``artifacts/.cache``."""
    import pandas as pd

    from ecgfeat.features import FeatureConfig, extract_features
    from ecgfeat.records import LabelTable, read_indexes, shared_sample_roots

    index, _ = read_indexes(shared_sample_roots(shared_dir()))
    index = index[index.dataset.isin(datasets)].reset_index(drop=True)
    cache = Path(__file__).resolve().parent.parent / "artifacts" / ".cache"
    table = extract_features(index, FeatureConfig(), n_jobs=n_jobs, chunk_size=16, cache_dir=cache)
    y = LabelTable.load().encode(index, label_set).reset_index(drop=True)
    return index, table.features.reset_index(drop=True), pd.DataFrame(y)


def scored_sample(min_positives: int, n_folds: int = 5):
    """(index, features, labels with at least ``min_positives`` positives, grouped folds 1..n_folds) of the
    shared sample."""
    from ecgfeat.models.metrics import scorable_labels
    from ecgfeat.records.splits import assign_folds

    index, X, Y = sample_features()
    Y = Y[scorable_labels(Y.to_numpy(), list(Y.columns), min_positives=min_positives)]
    return index, X, Y, assign_folds(index, Y, n_folds=n_folds, random_state=0)
