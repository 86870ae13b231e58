"""Features of synthetic beat trains with known amplitudes and intervals, and failure isolation."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from ecgfeat._constants import LEADS
from ecgfeat.features import FEATURE_NAMES, FeatureConfig, extract_record_features, feature_columns
from ecgfeat.features.simulate import BeatShape, simulate_12lead
from ecgfeat.records import EcgRecord


def _record(signal, fs=500.0, rid="SYN1"):
    return EcgRecord(record_id=rid, signal=signal.astype(np.float32), sampling_rate=fs, leads=LEADS)


@pytest.fixture(scope="module", params=["lead", "consensus"])
def synthetic(request):
    wide = BeatShape(q=(-0.10, -40.0, 14.0), r=(1.0, 0.0, 22.0), s=(-0.25, 40.0, 14.0))
    sig = simulate_12lead({"V1": wide, "V5": BeatShape().scaled(0.5)}, rr_ms=800.0)
    row, qc = extract_record_features(_record(sig), FeatureConfig(anchors=request.param))
    return row, qc


def test_rhythm_is_exact(synthetic):
    row, qc = synthetic
    assert qc == []
    for lead in LEADS:
        assert row[f"{lead}__hr_bpm"] == pytest.approx(75.0, abs=0.2)
        assert row[f"{lead}__rr_mean_ms"] == pytest.approx(800.0, abs=2.0)
        assert row[f"{lead}__rr_sd_ms"] < 2.0 and row[f"{lead}__rr_irregularity"] < 0.01
        assert row[f"{lead}__p_presence"] == 1.0
        assert row[f"{lead}__n_beats"] >= 11


def test_amplitudes_within_tolerance(synthetic):
    row, _ = synthetic
    # filtering (0.5-40 Hz) rounds sharp waves: 15 % on R, Q and S, 10 % on the broad P and T
    assert row["II__r_amp_mv"] == pytest.approx(1.0, rel=0.15)
    assert row["II__s_amp_mv"] == pytest.approx(-0.25, rel=0.3)
    assert row["II__t_amp_mv"] == pytest.approx(0.30, rel=0.10)
    assert row["II__p_amp_mv"] == pytest.approx(0.15, rel=0.15)
    assert row["V5__r_amp_mv"] == pytest.approx(0.5 * row["II__r_amp_mv"], rel=0.05)
    assert row["II__t_polarity"] == 1 and row["aVR__t_polarity"] == -1
    assert min(row["aVR__q_amp_mv"], row["aVR__s_amp_mv"]) < -0.8  # inverted complex: deep negative wave
    assert abs(row["II__st_level_mv"]) < 0.05


def test_intervals_within_tolerance(synthetic):
    row, _ = synthetic
    # Gaussian waves have no sharp edges; boundaries are expected near centre ± 2.5 σ (± 20 ms)
    assert row["II__qrs_dur_ms"] == pytest.approx(2 * (28 + 2.5 * 8), abs=25)
    assert row["II__pr_ms"] == pytest.approx((-28 - 2.5 * 8) - (-160 - 2.5 * 20), abs=30)
    assert row["II__qt_ms"] == pytest.approx((300 + 2.5 * 40) - (-28 - 2.5 * 8), abs=40)
    assert row["II__qtc_ms"] == pytest.approx(row["II__qt_ms"] / np.sqrt(0.8), rel=0.02)
    assert row["II__p_dur_ms"] == pytest.approx(5 * 20, abs=35)
    # the wide QRS planted in V1 is measured as wider by roughly the planted amount (+36 ms at 2.5 σ)
    assert row["V1__qrs_dur_ms"] - row["II__qrs_dur_ms"] > 20 or row["V1__qrs_dur_ms"] > 90


def test_neurokit_ecgsyn_heart_rate():
    import neurokit2 as nk

    x = nk.ecg_simulate(duration=12, sampling_rate=500, heart_rate=70, method="ecgsyn", random_state=1)
    sig = np.tile(np.asarray(x, np.float32)[:, None], (1, 12))
    row, qc = extract_record_features(_record(sig), FeatureConfig())
    assert qc == []
    assert row["II__hr_bpm"] == pytest.approx(70, abs=3)


def test_bad_leads_give_nan_and_qc_not_a_crash(caplog):
    sig = simulate_12lead()
    sig[:, LEADS.index("V3")] = 0.0  # flat
    sig[:, LEADS.index("V4")] = np.nan  # missing
    sig[:2000, LEADS.index("V5")] = 0.0  # mostly flat...
    sig[2000:, LEADS.index("V5")] = 0.0  # ...entirely flat, but present
    with caplog.at_level(logging.WARNING):
        row, qc = extract_record_features(_record(sig, rid="BAD1"), FeatureConfig())
    bad = {q["lead"]: q["problem"] for q in qc}
    assert set(bad) == {"V3", "V4", "V5"}
    assert "flat" in bad["V3"] and "missing" in bad["V4"]
    for lead in ("V3", "V4", "V5"):
        assert all(np.isnan(row[f"{lead}__{n}"]) for n in FEATURE_NAMES)
    assert np.isfinite(row["II__qrs_dur_ms"])
    assert "Record 'BAD1' lead V3" in caplog.text and "features set to NaN" in caplog.text


def test_missing_lead_and_reduced_lead_config():
    sig = simulate_12lead()[:, :6]
    rec = EcgRecord(record_id="LIMB", signal=sig, sampling_rate=500.0, leads=LEADS[:6])
    row, qc = extract_record_features(rec, FeatureConfig(leads=("I", "II", "V1")))
    assert list(row) == feature_columns(("I", "II", "V1"))
    assert [q["lead"] for q in qc] == ["V1"] and qc[0]["problem"] == "lead not in record"
    assert np.isfinite(row["I__hr_bpm"])


def test_resampling_config_and_100hz():
    sig = simulate_12lead(sampling_rate=500.0)
    row500, _ = extract_record_features(_record(sig), FeatureConfig())
    row100, _ = extract_record_features(_record(sig), FeatureConfig(sampling_rate=100))
    assert row100["II__hr_bpm"] == pytest.approx(75, abs=0.5)
    assert row100["II__qt_ms"] == pytest.approx(row500["II__qt_ms"], abs=30)
    assert row100["II__t_amp_mv"] == pytest.approx(row500["II__t_amp_mv"], rel=0.1)


def test_config_validation():
    with pytest.raises(ValueError, match="method must be one of"):
        FeatureConfig(method="magic").validate()
    with pytest.raises(ValueError, match="unknown leads"):
        FeatureConfig(leads=("II", "X")).validate()


def test_catalogue_doc_is_up_to_date():
    from pathlib import Path

    from ecgfeat.features.catalogue import catalogue_markdown, feature_catalogue

    doc = Path(__file__).resolve().parents[2] / "docs" / "feature_catalogue.md"
    assert doc.read_text() == catalogue_markdown(), "regenerate docs/feature_catalogue.md"
    cat = feature_catalogue()
    assert list(cat.name) == list(FEATURE_NAMES) and cat.unit.notna().all()


def test_real_record_with_a_corrupted_lead(data_dir):
    from ecgfeat.records import read_record

    rec = read_record(data_dir / "physionet-challenge-2021" / "WFDB_Ga" / "E00001")
    sig = rec.signal.copy()
    sig[:, LEADS.index("V2")] = np.nan
    sig[:, LEADS.index("aVL")] = 0.5  # constant: a disconnected electrode
    bad = EcgRecord(record_id=rec.record_id, signal=sig, sampling_rate=rec.sampling_rate, leads=rec.leads)
    row, qc = extract_record_features(bad, FeatureConfig())
    assert {q["lead"] for q in qc} == {"V2", "aVL"} and all(q["record_id"] == "E00001" for q in qc)
    assert np.isnan([row[f"V2__{n}"] for n in FEATURE_NAMES]).all()
    good, _ = extract_record_features(rec, FeatureConfig())
    assert row["II__qrs_dur_ms"] == good["II__qrs_dur_ms"]  # other leads untouched (lead anchors)


def test_implausible_leads_and_values_are_marked_not_modelled(data_dir):
    """Hostile-input weak kind: wrong units, a noise lead, impossible values never reach a model unflagged."""
    from ecgfeat.features import extract_record_features
    from ecgfeat.features.record_features import MIN_BEAT_CONSISTENCY
    from ecgfeat.records import read_record
    from ecgfeat.records.record import EcgRecord

    rec = read_record(data_dir / "physionet-challenge-2021" / "WFDB_Ga" / "E00001")
    clean_row, clean_qc = extract_record_features(rec, log=False)
    assert clean_qc == []
    sig = rec.signal.copy()
    sig[:, 1] *= 1000  # lead II written in µV under a mV header
    rng = np.random.default_rng(0)
    for j, sd in ((8, 0.5), (9, 0.05)):  # V3, V4: noise only
        sig[:, j] = rng.normal(0, sd, len(sig)).astype(np.float32)
    row, qc = extract_record_features(EcgRecord("X", sig, rec.sampling_rate, rec.leads), log=False)
    problems = {q["lead"]: q["problem"] for q in qc}
    assert set(problems) == {"II", "V3", "V4"}
    assert "implausible amplitude" in problems["II"]
    assert "no consistent beats" in problems["V3"] and "no consistent beats" in problems["V4"]
    for lead in ("II", "V3", "V4"):
        assert np.isnan([row[f"{lead}__{n}"] for n in FEATURE_NAMES]).all()
    for lead in ("I", "V1", "V6"):  # the other leads are untouched
        assert row[f"{lead}__qrs_dur_ms"] == clean_row[f"{lead}__qrs_dur_ms"]
    assert MIN_BEAT_CONSISTENCY == 0.3


def test_per_beat_medians_and_iqrs_match_numpy_on_the_finite_values():
    """The one-sort medians and interquartile ranges equal np.median and np.percentile (25, 75) of each column's
    finite values, for every count of finite values from 0 to the number of beats."""
    from ecgfeat.features.lead_features import _iqrs, _medians, _sorted_finite

    rng = np.random.default_rng(0)
    for n_beats in (1, 2, 3, 8, 13):
        x = rng.normal(size=(n_beats, 40))
        for k in range(40):  # column k keeps k % (n_beats + 1) finite values
            lost = rng.permutation(n_beats)[:n_beats - k % (n_beats + 1)]
            x[lost, k] = rng.choice([np.nan, np.inf, -np.inf], size=len(lost))
        ordered, count = _sorted_finite(x)
        for k in range(40):
            finite = x[np.isfinite(x[:, k]), k]
            expect = np.median(finite) if len(finite) else np.nan
            np.testing.assert_allclose(_medians(ordered, count)[k], expect, rtol=1e-15, atol=0)
            expect = np.subtract(*np.percentile(finite, [75, 25])) if len(finite) >= 2 else np.nan
            np.testing.assert_allclose(_iqrs(ordered, count)[k], expect, rtol=1e-13, atol=1e-15)
