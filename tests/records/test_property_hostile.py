"""Property-based hostile input (hypothesis): malformed headers, signal files and links made from real sample
records, in a folder with good records. Whatever the damage:

* indexing and feature extraction never raise (one bad file never stops a run);
* no file outside the dataset folder is opened (bait files outside are never touched);
* a damaged record is either refused with a QC row naming it, or read without error, or its features are NaN
  with a QC row; it never disappears without a row;
* every good record of the folder gets exactly the features it gets alone.
"""
from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecgfeat.features import FeatureConfig, extract_features
from ecgfeat.records import read_index

GOOD = ["E00001", "E00002", "E00003"]
VICTIM = "E00004"

weird_numbers = st.sampled_from(["nan", "inf", "-inf", "0", "-1", "1e9", "1e-9", "abc", "", "5000/2", "2.5",
                                 "99999999999999999999", "0x10", "-0"])
weird_names = st.sampled_from(["../outside/bait.mat", "/etc/passwd", "..", ".", "", "sub/x.mat", "E00004.hea",
                               "E00001.mat", "bait.mat", "E00004.mat\x00", "C:\\x.mat", "E00004.MAT"])

mutations = st.one_of(
    st.tuples(st.just("record_field"), st.integers(1, 3), weird_numbers),
    st.tuples(st.just("file_name"), st.integers(0, 11), weird_names),
    st.tuples(st.just("gain"), st.integers(0, 11), st.sampled_from(["0/mV", "nan/mV", "inf/mV", "1e400/mV",
                                                                      "-1000/mV", "1000(x)/mV", "1000/furlong", "/"])),
    st.tuples(st.just("drop_line"), st.integers(1, 12), st.just(None)),
    st.tuples(st.just("truncate_header"), st.integers(0, 600), st.just(None)),
    st.tuples(st.just("binary_header"), st.binary(min_size=1, max_size=64), st.just(None)),
    st.tuples(st.just("truncate_signal"), st.integers(0, 120_023), st.just(None)),
    st.tuples(st.just("append_signal"), st.binary(min_size=1, max_size=64), st.just(None)),
    st.tuples(st.just("mat_header"), st.integers(0, 23), st.integers(0, 255)),
    st.tuples(st.just("link"), st.sampled_from(["hea_dev_zero", "mat_dev_zero", "hea_outside", "mat_outside",
                                                "mat_dangling", "hea_loop"]), st.just(None)),
)


def _mutate(folder: Path, outside: Path, kind: str, a, b) -> None:
    hea, mat = folder / f"{VICTIM}.hea", folder / f"{VICTIM}.mat"
    lines = hea.read_text().splitlines()
    if kind == "record_field":
        parts = lines[0].split()
        parts[a] = b if b else "x"
        lines[0] = " ".join(parts)
    elif kind == "file_name":
        parts = lines[1 + a].split()
        parts[0] = b or '""'
        lines[1 + a] = " ".join(parts)
    elif kind == "gain":
        parts = lines[1 + a].split()
        parts[2] = b
        lines[1 + a] = " ".join(parts)
    elif kind == "drop_line":
        del lines[a]
    if kind in ("record_field", "file_name", "gain", "drop_line"):
        hea.write_text("\n".join(lines) + "\n")
    elif kind == "truncate_header":
        hea.write_bytes(hea.read_bytes()[:a])
    elif kind == "binary_header":
        data = hea.read_bytes()
        hea.write_bytes(data[:40] + a + data[40:])
    elif kind == "truncate_signal":
        mat.write_bytes(mat.read_bytes()[:a])
    elif kind == "append_signal":
        mat.write_bytes(mat.read_bytes() + a)
    elif kind == "mat_header":
        data = bytearray(mat.read_bytes())
        data[a] = b
        mat.write_bytes(bytes(data))
    elif kind == "link":
        target = {"hea_dev_zero": (hea, "/dev/zero"), "mat_dev_zero": (mat, "/dev/zero"),
                  "hea_outside": (hea, outside / "bait.hea"), "mat_outside": (mat, outside / "bait.mat"),
                  "mat_dangling": (mat, outside / "nothing.mat"), "hea_loop": (hea, hea)}[a]
        target[0].unlink()
        os.symlink(target[1], target[0])


@pytest.fixture(scope="module")
def alone(data_dir) -> pd.DataFrame:
    """Features of each good record on its own."""
    index, _ = read_index(data_dir / "physionet-challenge-2021" / "WFDB_Ga", dataset="cinc2021")
    index = index[index.record_id.isin(GOOD)].reset_index(drop=True)
    return extract_features(index, FeatureConfig()).features.set_axis(list(index.record_id))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=mutations)
def test_damaged_records_never_stop_a_run_or_escape_the_folder(mutation, data_dir, tmp_path_factory, alone,
                                                               opened_paths):
    base = tmp_path_factory.mktemp("hostile")
    folder, outside = base / "data", base / "outside"
    folder.mkdir()
    outside.mkdir()
    ga = data_dir / "physionet-challenge-2021" / "WFDB_Ga"
    for rec in GOOD + [VICTIM]:
        for ext in (".hea", ".mat"):
            shutil.copy(ga / (rec + ext), folder / (rec + ext))
    for ext in (".hea", ".mat"):  # bait: a valid record outside the dataset folder
        shutil.copy(ga / (VICTIM + ext), outside / ("bait" + ext))
    (outside / "bait.hea").write_text((outside / "bait.hea").read_text().replace(VICTIM, "bait"))
    _mutate(folder, outside, *mutation)

    opened_paths.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        index, qc = read_index(folder, dataset="cinc2021")
        table = extract_features(index, FeatureConfig())
    real = [os.path.realpath(p) if os.path.lexists(p) else p for p in opened_paths]
    touched = [p for p in real if p.startswith((str(outside), "/dev/", "/etc/"))]
    assert not touched, touched

    assert set(GOOD) <= set(index.record_id) and "bait" not in set(index.record_id)
    listed = set(qc.record_id) | set(table.qc.record_id)
    if VICTIM not in set(index.record_id):
        assert VICTIM in listed, (mutation, qc.to_dict("records"))
    feats = table.features.set_axis(list(index.record_id))
    pd.testing.assert_frame_equal(feats.loc[GOOD], alone.loc[GOOD])
    if VICTIM in set(index.record_id):
        row = feats.loc[VICTIM]
        assert row.notna().any() or VICTIM in set(table.qc.record_id)
