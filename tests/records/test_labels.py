"""Label counts against the shared data README, and the SCP→SNOMED mapping on ECGs present in both forms."""
from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest

from ecgfeat.records import LabelTable, read_index


@pytest.fixture(scope="module")
def table() -> LabelTable:
    return LabelTable.load()


def test_label_sets_and_sizes(table):
    assert table.label_sets == ["study17", "cinc2021", "ptbxl_super"]
    assert len(table.labels("study17")) == 18  # 17 study conditions + SB
    assert len(table.labels("cinc2021")) == 26
    assert table.labels("ptbxl_super") == ["NORM", "MI", "STTC", "CD", "HYP"]
    with pytest.raises(ValueError, match="Unknown label set 'nope'"):
        table.labels("nope")


def test_cinc_label_set_matches_the_scoring_tables(table, cinc_ref_dir):
    dx = pd.read_csv(cinc_ref_dir / "dx_mapping_scored.csv", dtype={"SNOMEDCTCode": str})
    weights = pd.read_csv(cinc_ref_dir / "weights.csv", index_col=0)
    codes = {c for lab in table.labels("cinc2021") for c in table.codes("cinc2021", lab, "snomed")}
    assert codes == set(dx["SNOMEDCTCode"])  # the 30 scored codes
    merged = {"|".join(table.codes("cinc2021", lab, "snomed")) for lab in table.labels("cinc2021")}
    assert merged == set(weights.columns)  # equivalent codes merged exactly as the challenge does


def test_ptbxl_counts_match_readme(data_dir, table):
    index, qc = read_index(data_dir / "ptb-xl")
    assert len(index) == 20 and qc.empty
    counts = Counter(c for codes in index.codes for c in codes if not c.startswith("AXIS:"))
    assert counts == {"NORM": 18, "SR": 17, "SBRAD": 2, "LVOLT": 1, "IMI": 1, "ABQRS": 1, "NT_": 1,
                      "NST_": 1, "IRBBB": 1, "STACH": 1}
    sup = table.encode(index, "ptbxl_super")
    assert (sup == 1).sum().to_dict() == {"NORM": 18, "MI": 1, "STTC": 1, "CD": 1, "HYP": 0}
    assert (index.sex == "F").sum() == 12 and (index.sex == "M").sum() == 8


def test_ptbxl_strat_folds_match_readme(data_dir):
    index, _ = read_index(data_dir / "ptb-xl")
    # README: strat_fold 2→2, 3→3, 4→4, 5→2, 6→2, 7→2, 9→2, 10→3
    assert index.strat_fold.value_counts().to_dict() == {2.0: 2, 3.0: 3, 4.0: 4, 5.0: 2, 6.0: 2, 7.0: 2,
                                                         9.0: 2, 10.0: 3}


def test_ptbxl_100hz_only_has_record_1(data_dir):
    index, qc = read_index(data_dir / "ptb-xl", sampling_rate=100)
    assert list(index.record_id) == ["00001_lr"]
    assert len(qc) == 19 and (qc.severity == "error").all() and qc.problem.str.contains("not present").all()


def test_arrhythmia_counts_match_readme(data_dir):
    index, _ = read_index(data_dir / "ecg-arrhythmia")
    assert sorted(index.record_id) == ["JS00001", "JS00002", "JS00004", "JS00005"]
    counts = Counter(c for codes in index.codes for c in codes)
    assert counts == {"426177001": 2, "164934002": 2, "164890007": 1, "429622005": 1, "428750005": 1,
                      "164889003": 1, "59118001": 1}


def test_cinc_counts_match_readme(data_dir):
    index, qc = read_index(data_dir / "physionet-challenge-2021")
    assert len(index) == 228
    folders = index.path.map(lambda p: p.split("/")[-2]).value_counts().to_dict()
    assert folders == {"WFDB_Ga": 71, "WFDB_Ningbo": 66, "WFDB_PTBXL": 37, "WFDB_ChapmanShaoxing": 20,
                       "WFDB_CPSC2018": 14, "WFDB_CPSC2018_2": 10, "WFDB_PTB": 10}
    counts = Counter(c for codes in index.codes for c in codes)
    top15 = {"426783006": 71, "426177001": 42, "427084000": 37, "284470004": 28, "164934002": 24,
             "428750005": 18, "164889003": 13, "164865005": 12, "55827005": 12, "55930002": 12,
             "59118001": 11, "698252002": 11, "164873001": 10, "59931005": 10, "39732003": 10}
    assert {c: counts[c] for c in top15} == top15
    assert list(qc.record_id) == ["JS20005"]  # the empty #Dx entry


def test_ludb_labels(ludb_dir, table):
    index, qc = read_index(ludb_dir)
    assert len(index) == 200 and qc.empty
    y = table.encode(index, "study17")
    assert (y == 1).sum()[["SR", "SB", "AFIB", "STach"]].to_dict() == {"SR": 143, "SB": 25, "AFIB": 15,
                                                                        "STach": 4}
    assert y["LQRSV"].isna().all()  # LUDB never states low voltage: unknown, not negative


# Where PTB-XL and the Challenge's SNOMED conversion of the same ECG disagree. The Challenge adds
# sinus rhythm (426783006) to every NORM record, even beside sinus bradycardia/tachycardia, and lists
# 1st-degree AV block for ecg_id 3 and sinus arrhythmia for ecg_id 10, which PTB-XL 1.0.3 does not.
KNOWN_DISAGREEMENTS = {
    "study17": {(2, "SR"), (6002, "SR"), (6003, "SR"), (3, "1AVB")},
    "cinc2021": {(2, "NSR"), (6002, "NSR"), (6003, "NSR"), (3, "IAVB"), (10, "SA")},
}


@pytest.mark.parametrize("label_set", ["study17", "cinc2021"])
def test_scp_to_snomed_mapping_agrees_on_shared_ecgs(data_dir, table, label_set):
    ptb, _ = read_index(data_dir / "ptb-xl")
    cinc, _ = read_index(data_dir / "physionet-challenge-2021/WFDB_PTBXL")
    both = ptb.merge(cinc, on="ecg_key", suffixes=("_scp", "_snomed"))
    assert len(both) == 20
    y_scp = table.encode(ptb.set_index("ecg_key").loc[both.ecg_key].reset_index(), label_set)
    y_sn = table.encode(cinc.set_index("ecg_key").loc[both.ecg_key].reset_index(), label_set)
    ecg_ids = [int(k.split(":")[1]) for k in both.ecg_key]
    disagreements = set()
    checked = Counter()
    for lab in table.labels(label_set):
        if not table.codes(label_set, lab, "scp"):
            continue  # not expressible in SCP: nothing to compare
        for i, e in enumerate(ecg_ids):
            checked[lab] += 1
            if y_scp[lab].iat[i] != y_sn[lab].iat[i]:
                disagreements.add((e, lab))
    assert disagreements == KNOWN_DISAGREEMENTS[label_set]
    # positives actually exercised on both sides
    agree_pos = {lab for lab in y_scp if ((y_scp[lab].to_numpy() == 1) & (y_sn[lab].to_numpy() == 1)).any()}
    expected = {"study17": {"SR", "SB", "STach", "LQRSV", "TWC", "STTC"},
                "cinc2021": {"NSR", "SB", "STach", "LQRSV", "TAb", "LAD", "IRBBB"}}[label_set]
    assert expected <= agree_pos


def test_coverage_counts_mapped_and_unmapped(sample_index, table):
    index, _ = sample_index
    cov = table.coverage(index).set_index("dataset")
    assert cov.loc["ecg-arrhythmia", "unmapped_codes"] == 0
    assert cov.loc["cinc2021", "mapped_codes"] + cov.loc["cinc2021", "unmapped_codes"] == \
        cov.loc["cinc2021", "distinct_codes"]
    assert "251238007" in cov.loc["cinc2021", "unmapped"]  # the code in neither Challenge mapping
