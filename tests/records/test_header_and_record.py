from __future__ import annotations

import numpy as np
import pytest
import wfdb

from ecgfeat._constants import LEADS, canonical_lead
from ecgfeat.records import read_header, read_record
from ecgfeat.records.index import iter_headers


@pytest.mark.parametrize("name,expected", [
    ("AVR", "aVR"), ("avr", "aVR"), ("aVR", "aVR"), ("i", "I"), ("III", "III"), ("v6", "V6"),
    (" Lead II ", "II"), ("X1", None), ("MLII", None)])
def test_canonical_lead(name, expected):
    assert canonical_lead(name) == expected


def test_ptbxl_header_gain_with_baseline_and_upper_case_leads(data_dir):
    h = read_header(data_dir / "ptb-xl/records500/00000/00001_hr.hea")
    assert h.sampling_rate == 500 and h.n_samples == 5000 and len(h.signals) == 12
    assert h.signals[0].adc_gain == 1000.0 and h.signals[0].baseline == 0 and h.signals[0].units == "mV"
    assert h.sig_names[3] == "AVR"


def _all_sample_headers(data_dir):
    return [p for p in iter_headers(data_dir)]


def test_every_sample_record_loads_like_wfdb(data_dir):
    """All 253 WFDB records of the shared sample: 12 canonical leads, float32 mV, equal to wfdb's values."""
    paths = _all_sample_headers(data_dir)
    assert len(paths) == 253
    for k, p in enumerate(paths):
        rec = read_record(p)
        assert rec.leads == LEADS, p
        assert rec.signal.dtype == np.float32 and rec.signal.shape[1] == 12
        assert np.isfinite(rec.signal).all(), p
        if k % 10 == 0:  # cross-check the mV conversion against wfdb's physical signal
            ref, fields = wfdb.rdsamp(str(p))
            order = [[canonical_lead(n) for n in fields["sig_name"]].index(lead) for lead in LEADS]
            np.testing.assert_allclose(rec.signal, ref[:, order], atol=1e-6)


def test_every_ludb_record_loads(ludb_dir):
    paths = list(iter_headers(ludb_dir / "data"))
    assert len(paths) == 200
    for p in paths:
        rec = read_record(p)
        assert rec.leads == LEADS and rec.signal.shape == (5000, 12) and rec.sampling_rate == 500


def test_record_metadata_from_header(data_dir):
    rec = read_record(data_dir / "physionet-challenge-2021/WFDB_PTB/S0001")
    assert rec.sampling_rate == 1000 and rec.signal.shape == (38400, 12)
    assert rec.codes == ("251146004", "426783006") and rec.age == 81 and rec.sex == "F"
    assert rec.lead("avr").shape == (38400,)
    with pytest.raises(KeyError, match="S0001"):
        read_record(data_dir / "physionet-challenge-2021/WFDB_PTB/S0001").lead("X")
