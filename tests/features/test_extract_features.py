"""Extraction over an index: cache correctness, streaming/resume, joblib vs Dask, transformer API, real records."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from ecgfeat.features import FeatureConfig, LeadFeatureExtractor, LeadGroups, extract_features
from ecgfeat.features import record_features as rf
from ecgfeat.records import read_index


@pytest.fixture(scope="module")
def small_index(data_dir):
    index, _ = read_index(data_dir / "physionet-challenge-2021" / "WFDB_CPSC2018")
    return index.iloc[:6].reset_index(drop=True)


@pytest.fixture(scope="module")
def fresh(small_index):
    return extract_features(small_index, FeatureConfig(), n_jobs=1)


def _cache_entries(cache_dir) -> int:
    assert not list(cache_dir.rglob("*.pkl")), "the feature cache never pickles"
    return sum(1 for p in cache_dir.rglob("*.npz"))


def test_real_records_have_features_for_every_lead(fresh, small_index):
    f = fresh.features
    assert f.shape == (6, 12 * 31) and f.dtypes.eq(np.float32).all()
    assert list(f.index) == list(small_index.index)
    # no lead fails; a single implausible value would be NaN with an info row (A0004's aVF is noise around a 0.1 mV
    # QRS: its duration cannot be measured, and came out implausibly short with an uncapped energy floor)
    assert (fresh.qc.severity == "info").all(), fresh.qc.to_string()
    assert set(fresh.qc.record_id + "/" + fresh.qc.lead) <= {"A0004/aVF"}, fresh.qc.to_string()
    assert f.filter(like="__hr_bpm").notna().all().all()
    qrs = f.filter(regex="__qrs_dur_ms$")
    assert qrs.stack().between(40, 250).all() and qrs.notna().sum().sum() >= 6 * 12 - 1
    assert qrs.median(axis=1).between(60, 160).all(), qrs.median(axis=1)


def test_cache_serves_identical_features_and_never_stale(small_index, fresh, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cold = extract_features(small_index, FeatureConfig(), cache_dir=cache)
    assert _cache_entries(cache) == 6
    warm = extract_features(small_index, FeatureConfig(), cache_dir=cache)
    pd.testing.assert_frame_equal(cold.features, fresh.features)
    pd.testing.assert_frame_equal(warm.features, fresh.features)
    assert _cache_entries(cache) == 6  # served from cache
    # a changed configuration is a different key ...
    other = extract_features(small_index, FeatureConfig(anchors="consensus"), cache_dir=cache)
    assert _cache_entries(cache) == 12
    direct = extract_features(small_index, FeatureConfig(anchors="consensus"))
    pd.testing.assert_frame_equal(other.features, direct.features)
    # ... and so is a new feature-schema version
    monkeypatch.setattr(rf, "FEATURE_SCHEMA_VERSION", "test-bump")
    extract_features(small_index, FeatureConfig(), cache_dir=cache)
    assert _cache_entries(cache) == 18


def test_streaming_to_parquet_and_resume(small_index, fresh, tmp_path):
    out = tmp_path / "parts"
    first = extract_features(small_index, FeatureConfig(), out_dir=out, chunk_size=2, n_jobs=2)
    parts = sorted(out.glob("part-*.parquet"))
    assert len(parts) == 3
    pd.testing.assert_frame_equal(first.features, fresh.features)
    mtimes = {p.name: p.stat().st_mtime_ns for p in parts}
    parts[1].unlink()
    again = extract_features(small_index, FeatureConfig(), out_dir=out, chunk_size=2)
    pd.testing.assert_frame_equal(again.features, fresh.features)
    now = {p.name: p.stat().st_mtime_ns for p in sorted(out.glob("part-*.parquet"))}
    assert now[parts[0].name] == mtimes[parts[0].name] and now[parts[2].name] == mtimes[parts[2].name]
    assert now[parts[1].name] != mtimes.get(parts[1].name)


def test_resume_never_serves_parts_of_other_records(small_index, fresh, tmp_path):
    """Hostile-input defect 6: the same out_dir with the records in another order, or fewer of them."""
    out = tmp_path / "parts"
    extract_features(small_index, FeatureConfig(), out_dir=out, chunk_size=2)
    order = [5, 2, 0, 4, 1, 3]
    shuffled = extract_features(small_index.iloc[order], FeatureConfig(), out_dir=out, chunk_size=2)
    pd.testing.assert_frame_equal(shuffled.features, fresh.features.iloc[order])
    fewer = extract_features(small_index.iloc[:3], FeatureConfig(), out_dir=out, chunk_size=2)
    pd.testing.assert_frame_equal(fewer.features, fresh.features.iloc[:3])


def test_dask_local_cluster_matches_joblib(small_index, fresh):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        table = extract_features(small_index, FeatureConfig(), backend="dask", scheduler=cluster.scheduler_address,
                                 chunk_size=2)
    pd.testing.assert_frame_equal(table.features, fresh.features)


def test_unreadable_record_is_a_qc_row(small_index, tmp_path):
    import shutil

    broken = small_index.copy()
    src = broken.loc[0, "path"]
    shutil.copy(src + ".hea", tmp_path / "A0001.hea")  # header without its signal file
    broken.loc[0, "path"] = str(tmp_path / "A0001")
    table = extract_features(broken, FeatureConfig())
    assert table.features.iloc[0].isna().all() and table.features.iloc[1:].notna().any(axis=1).all()
    row = table.qc.iloc[0]
    assert row.record_id == "A0001" and row.severity == "error" and "missing" in row.problem


def test_transformer_api(small_index, fresh):
    ex = LeadFeatureExtractor(n_jobs=1)
    assert clone(ex).get_params() == ex.get_params()
    out = ex.fit(small_index).transform(small_index)
    pd.testing.assert_frame_equal(out, fresh.features)
    names = ex.get_feature_names_out()
    assert list(names) == list(out.columns) and names[0] == "I__p_amp_mv"
    assert ex.lead_groups_.names[6] == "V1" and len(ex.lead_groups_.indices("V1")) == 31
    with pytest.raises(ValueError, match="'method' parameter of LeadFeatureExtractor"):
        LeadFeatureExtractor(method="magic").fit()


def test_extractor_parameters_are_declared_and_checked_at_fit():
    from sklearn.utils.estimator_checks import check_param_validation

    check_param_validation("LeadFeatureExtractor", LeadFeatureExtractor())


def test_lead_groups_partition_columns():
    cols = ["I__a", "I__b", "AVR__a", "v1__a", "global__age_years"]
    with pytest.raises(ValueError, match="without a lead prefix"):
        LeadGroups.from_columns(cols)
    g = LeadGroups.from_columns(cols, remainder="group")
    assert g.names == ["I", "aVR", "V1", "global"]
    assert list(g.indices("aVR")) == [2]
    assert g.column_mask(["I", "V1"]).tolist() == [True, True, False, True, False]
    assert g.column_mask([False, True, False, True]).tolist() == [False, False, True, False, True]
    assert g.group_matrix().sum(axis=0).tolist() == [1] * 5
    m = g.merge({"limb": ["I", "aVR"], "rest": ["V1", "global"]})
    assert m.names == ["limb", "rest"] and list(m.indices("limb")) == [0, 1, 2]
    with pytest.raises(ValueError, match="exactly one group"):
        LeadGroups(tuple(cols), (("x", (0, 1)),))


def test_logged_warnings_name_the_real_record_even_from_cache(tmp_path, caplog, data_dir):
    """Regression: warnings were logged with a placeholder id from inside the cached function."""
    import logging

    from ecgfeat.records import EcgRecord, read_record

    rec = read_record(data_dir / "physionet-challenge-2021" / "WFDB_Ga" / "E00001")
    sig = rec.signal.copy()
    sig[:, 8] = 0.0  # flat V3
    bad = EcgRecord(record_id="E00001-flatV3", signal=sig, sampling_rate=rec.sampling_rate, leads=rec.leads,
                    dataset="test")
    for _ in range(2):  # cold, then from cache
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            table = extract_features([bad], FeatureConfig(), cache_dir=tmp_path)
        assert "Record 'E00001-flatV3' lead V3: flat signal" in caplog.text
        assert list(table.qc.record_id) == ["E00001-flatV3"] and list(table.qc.dataset) == ["test"]
