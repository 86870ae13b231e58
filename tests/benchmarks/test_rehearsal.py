"""The scale rehearsal's dataset generator (benchmarks/rehearsal.py): its folders are read by the normal
readers, with the configured counts and label prevalences."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from rehearsal import RehearsalSpec, build_rehearsal, source_weights, vary_signal  # noqa: E402

from ecgfeat.records import LabelTable, read_index  # noqa: E402
from ecgfeat.records.index import load_record  # noqa: E402


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory, shared):
    out = tmp_path_factory.mktemp("rehearsal")
    spec = RehearsalSpec(n_arrhythmia=130, n_ptbxl=70, seed=1)
    return out, spec, build_rehearsal(out, spec, shared=shared, n_jobs=1, chunk=50)


def test_rehearsal_folders_index_with_the_normal_readers(rehearsal):
    out, spec, manifest = rehearsal
    table = LabelTable.load()
    for name, n, rate in (("ecg-arrhythmia", spec.n_arrhythmia, 500), ("ptb-xl", spec.n_ptbxl, 500),
                          ("ptb-xl", spec.n_ptbxl, 100)):
        kwargs = {"sampling_rate": rate} if name == "ptb-xl" else {}
        index, qc = read_index(out / name, **kwargs)
        assert len(index) == n and qc.empty, qc
        assert set(index["sampling_rate"]) == {rate} and set(index["n_samples"]) == {10 * rate}
        record = load_record(index.iloc[-1])
        assert record.signal.shape == (10 * rate, 12) and np.isfinite(record.signal).all()
        assert 0.01 < float(np.median(np.abs(record.signal))) < 2.0  # mV, not ADC units
        # the labels written are the labels the manifest reports (read back through the label table)
        prevalence = table.encode(index, "study17").mean()
        reported = manifest["datasets"][name]["prevalence_rehearsal"]
        assert np.allclose(prevalence.to_numpy(), [reported[lab] for lab in prevalence.index], atol=1e-3)


def test_sources_file_names_the_source_ecg_of_every_indexed_record(rehearsal, shared):
    """sources.csv keys every record the readers index to a shared-sample ECG whose codes it carries."""
    import pandas as pd

    from ecgfeat.records import read_indexes, shared_sample_roots

    out, spec, _ = rehearsal
    sources = pd.read_csv(out / "sources.csv", dtype=str)
    sample, _ = read_indexes(shared_sample_roots(shared))
    codes: dict[str, set] = {}  # the first SNOMED copy of each ECG, as the generator takes it
    for key, c, system in zip(sample["ecg_key"], sample["codes"], sample["code_system"]):
        if system == "snomed":
            codes.setdefault(key, set(c))
    for name in ("ecg-arrhythmia", "ptb-xl"):
        index, _ = read_index(out / name, **({"sampling_rate": 500} if name == "ptb-xl" else {}))
        mine = sources[sources.dataset == name].set_index("record_id")["source"]
        assert sorted(mine.index) == sorted(index["record_id"])
        assert mine.isin(set(sample["ecg_key"])).all()
        if name == "ecg-arrhythmia":  # its #Dx codes are the source's SNOMED codes
            for rid, c in zip(index["record_id"], index["codes"]):
                assert set(c) == codes[mine[rid]], rid
    assert sources.source.nunique() > 20  # many sources, each record one of them


def test_rehearsal_prevalences_follow_the_real_datasets(rehearsal):
    _, _, manifest = rehearsal
    for name, d in manifest["datasets"].items():
        real, expected = d["prevalence_real"], d["prevalence_expected"]
        carried = [lab for lab, p in expected.items() if p > 0]
        assert len(carried) >= 14, (name, carried)
        for lab in carried:
            assert abs(expected[lab] - real[lab]) <= max(0.005, 0.1 * real[lab]), (name, lab, expected[lab], real[lab])


def test_a_rehearsal_with_the_same_spec_is_reused(rehearsal, shared):
    out, spec, manifest = rehearsal
    first = (out / "ptb-xl" / "ptbxl_database.csv").stat().st_mtime_ns
    again = build_rehearsal(out, spec, shared=shared, n_jobs=1)
    assert again == manifest and (out / "ptb-xl" / "ptbxl_database.csv").stat().st_mtime_ns == first


def test_source_weights_match_target_prevalences_and_stay_a_distribution():
    rng = np.random.default_rng(0)
    y = (rng.random((60, 5)) < [0.5, 0.2, 0.1, 0.05, 0.0]).astype(float)
    target = np.array([0.3, 0.3, 0.05, 0.1, 0.2])
    w = source_weights(y, target)
    assert np.all(w >= 0) and np.isclose(w.sum(), 1)
    assert np.allclose((w @ y)[:4], target[:4], atol=0.01)  # the last label is carried by no source


def test_varied_signal_is_close_to_but_not_the_source():
    t = np.arange(5000) / 500
    x = np.sin(2 * np.pi * 1.2 * t)[:, None] * np.linspace(0.5, 1.5, 12)
    y = vary_signal(x, np.random.default_rng(1))
    assert y.shape == x.shape and not np.allclose(y, x)
    assert 0.7 < np.std(y) / np.std(x) < 1.4


def _rehearsal_study(out: Path, artifacts: Path, scheduler: str | None) -> dict[str, "pd.DataFrame"]:
    """A small study on the rehearsal's folders (the real readers, feature extraction, lead-set models, games)."""
    import pandas as pd

    from ecgfeat.study import StudyConfig, run_study

    cfg = StudyConfig(name="rehearsal", source="folders", folders=[str(out / "ecg-arrhythmia"), str(out / "ptb-xl")],
                      train_datasets=["ecg-arrhythmia"], external_datasets=["ptb-xl"], labels=["SR", "STach"],
                      min_positives=5, min_heldout_positives=3, n_folds=3, n_boot=20, n_estimators=20,
                      lead_sets=["12-lead", "single-II", "limb"], local_rows=5, retrain_labels=["SR"],
                      retrain_evaluations=46, retrain_n_estimators=10, k_max=2, exhaustive_up_to=2, n_draws=50,
                      n_jobs=1, scheduler=scheduler)
    run = run_study(cfg, artifacts=artifacts, run_id="run", progress=False)
    tables = {}
    for name in ("auroc_internal.csv", "auroc_external.csv", "lead_importance.csv", "best_lead_sets.csv"):
        table = pd.read_csv(run / "tables" / name)
        tables[name] = table.drop(columns=[c for c in table.columns if c.endswith("_s")])  # wall times
    return tables


def test_a_rehearsal_study_on_a_dask_cluster_equals_the_local_run(rehearsal, tmp_path):
    """Features, lead-set models and retraining fits sent to a 2-worker LocalCluster (each with its own feature
    cache: nothing reused) give the same lead-set AUROCs and lead Shapley values as the local run."""
    import pandas as pd
    from distributed import Client, LocalCluster, get_task_stream

    out, _, _ = rehearsal
    local = _rehearsal_study(out, tmp_path / "local", None)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        with get_task_stream(client) as stream:
            dask = _rehearsal_study(out, tmp_path / "dask", cluster.scheduler_address)
    keys = " ".join(str(t.get("key")) for t in stream.data)
    # features, lead-set models and coalition fits ran on the workers
    assert "_extract_chunk" in keys and "_predict_lead_set" in keys and "_fit_predict" in keys
    assert len(local["auroc_internal.csv"]) and local["lead_importance.csv"]["estimate"].notna().any()
    for name, table in local.items():
        pd.testing.assert_frame_equal(dask[name], table, check_exact=False, rtol=1e-12, obj=name)
