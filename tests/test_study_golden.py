"""The study's numbers do not move under refactoring: a small synthetic study against tables recorded from it
(``tests/data/golden_small_synthetic.json``). Regenerate only for an intended change in behaviour:
``python tests/test_study_golden.py`` writes the file again; say why in the commit."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

GOLDEN = Path(__file__).resolve().parent / "data" / "golden_small_synthetic.json"
TABLES = {"auroc_internal.csv": ["label", "lead_set"], "lead_shapley_global_auroc.csv": None,
          "lead_shapley_local_meanabs.csv": None, "best_lead_sets.csv": ["label", "method", "k"],
          "lead_shapley_retrain_auroc.csv": None, "lead_importance.csv": ["label", "value_function", "lead"],
          "value_function_agreement.csv": None, "label_counts.csv": None,
          "lead_shapley_global_v.csv": None}


def cohort_fingerprint() -> list[float]:
    """Sums of one simulated record's 12 leads (mV): the cohort every table is computed from. ecgfeat's ECGSYN
    uses neither BLAS nor an adaptive step (tests/records/test_ecgsyn.py runs it under several kernels); NeuroKit2's
    did, and its records differed by up to 0.37 mV between BLAS kernels of one machine."""
    from ecgfeat.records.synthetic import simulate_record

    signal = simulate_record("FINGERPRINT", {}, np.random.default_rng(0)).signal.astype(float)
    return np.round(signal.sum(axis=0), 3).tolist()


def small_study(folder: Path, scheduler: str | None = None) -> dict[str, dict]:
    from ecgfeat.study import StudyConfig, run_study

    cfg = StudyConfig(name="golden", source="synthetic", synthetic_records=80, n_boot=20, n_folds=3,
                      lead_sets=["12-lead", "single-V1", "single-II", "limb"], local_rows=10, n_estimators=40,
                      retrain_labels=["RSR_V1"], retrain_evaluations=60, retrain_n_estimators=20, k_max=2,
                      background_game_evaluations=100,
                      exhaustive_up_to=2, min_positives=5, min_heldout_positives=5, n_draws=100, n_jobs=1,
                      scheduler=scheduler)
    run = run_study(cfg, artifacts=folder, run_id="golden", progress=False)
    out = {"cohort_fingerprint": cohort_fingerprint()}
    for name in TABLES:
        table = pd.read_csv(run / "tables" / name)
        table = table.drop(columns=[c for c in table.columns if c.endswith("_s")])  # wall times
        out[name] = json.loads(table.to_json(orient="split", double_precision=15))
    return out


def test_small_synthetic_study_matches_its_recorded_tables(tmp_path, monkeypatch):
    _assert_matches_golden(small_study(tmp_path))
    # every computed step's wall time is in the manifest (the synthetic source has no index or data files)
    seconds = json.loads((tmp_path / "golden" / "manifest.json").read_text())["step_seconds"]
    assert set(seconds) == {"features", "lead_set_models", "bootstrap", "masked_games", "mc_convergence",
                            "lead_set_search", "retraining_game"}, seconds
    # the same run again resumes from the run folder's finished steps: nothing is recomputed, same tables
    import ecgfeat.study.run as study_run

    def recomputed(*args, **kwargs):
        raise AssertionError("a finished step was computed again")
    monkeypatch.setattr(study_run, "evaluate_lead_sets", recomputed)
    monkeypatch.setattr(study_run, "lead_importance_step", recomputed)
    _assert_matches_golden(small_study(tmp_path))


def test_the_study_on_a_dask_cluster_gives_the_same_tables(tmp_path):
    """Lead-set models and retraining fits go to the cluster (tasks seen by its scheduler; the synthetic source
    has no feature extraction, whose Dask path is tested in tests/features); every table equals the local run."""
    from distributed import Client, LocalCluster, get_task_stream

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        with get_task_stream(client) as stream:
            now = small_study(tmp_path, scheduler=cluster.scheduler_address)
    keys = " ".join(str(t.get("key")) for t in stream.data)
    assert "_predict_lead_set" in keys and "_fit_predict" in keys  # lead-set models and coalition fits on the workers
    _assert_matches_golden(now)


def test_a_study_killed_in_the_importance_step_resumes_without_refitting_the_lead_set_models(tmp_path, monkeypatch):
    """A run stopped mid-way (here: interrupted inside the importance step) keeps its finished lead-set step; the
    next run with the same run id computes only what was not finished, and its tables equal the golden ones."""
    import ecgfeat.study.run as study_run

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed")
    monkeypatch.setattr(study_run, "lead_importance_step", killed)
    with pytest.raises(KeyboardInterrupt):
        small_study(tmp_path)
    assert (tmp_path / "golden" / "steps" / "lead_sets" / "done.json").exists()
    assert not (tmp_path / "golden" / "steps" / "importance").exists()
    monkeypatch.undo()

    def refitted(*args, **kwargs):
        raise AssertionError("the finished lead-set step was computed again")
    monkeypatch.setattr(study_run, "evaluate_lead_sets", refitted)
    _assert_matches_golden(small_study(tmp_path))


def test_a_step_finished_with_another_key_is_computed_again(tmp_path):
    from ecgfeat.artifacts.steps import StepStore

    store = StepStore(tmp_path)
    table = pd.DataFrame({"lead": ["I", "V1"], "value": [0.25, np.nan]}).set_index("lead")
    store.save("importance", "key-a", {"global": table, "n_test": 41, "retrain": None})
    back = store.load("importance", "key-a")
    pd.testing.assert_frame_equal(back["global"], table)
    assert back["n_test"] == 41 and back["retrain"] is None
    assert store.load("importance", "key-b") is None and store.load("lead_sets", "key-a") is None
    (tmp_path / "steps" / "importance" / "done.json").unlink()  # interrupted while saving
    assert store.load("importance", "key-a") is None


def _assert_matches_golden(now: dict) -> None:
    golden = json.loads(GOLDEN.read_text())
    if now["cohort_fingerprint"] != golden["cohort_fingerprint"]:
        raise AssertionError(
            "the synthetic cohort is not the one the golden tables were recorded from, so no table can match: "
            f"lead sums {now['cohort_fingerprint']} here, {golden['cohort_fingerprint']} recorded "
            f"(OPENBLAS_CORETYPE here: {os.environ.get('OPENBLAS_CORETYPE')!r}). ecgfeat.records.ecgsyn is meant to "
            "give the same signals on every machine: report this machine. Regenerate "
            "(python tests/test_study_golden.py) only for an intended change and say why in the commit.")
    for name, keys in TABLES.items():
        a = pd.DataFrame(**{k: v for k, v in now[name].items() if k != "index"})
        b = pd.DataFrame(**{k: v for k, v in golden[name].items() if k != "index"})
        assert list(a.columns) == list(b.columns), name
        assert len(a) == len(b), name
        for col in a.columns:
            if a[col].dtype.kind in "fi" and b[col].dtype.kind in "fi":
                np.testing.assert_allclose(a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-9, atol=1e-12,
                                           equal_nan=True, err_msg=f"{name}:{col}")
            else:
                assert a[col].astype(str).tolist() == b[col].astype(str).tolist(), f"{name}:{col}"


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        GOLDEN.write_text(json.dumps(small_study(Path(d)), indent=0))
    print(f"wrote {GOLDEN}", file=sys.stderr)
