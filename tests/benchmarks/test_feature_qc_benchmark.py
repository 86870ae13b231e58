"""bench_feature_qc.py's count of implausible values, on QC rows written the way the extractor writes them."""
from __future__ import annotations

import pandas as pd

from . import load_benchmark


def test_implausible_values_are_counted_per_feature_and_side():
    bench = load_benchmark("bench_feature_qc.py")
    rows = [("A", "II", "info", "implausible qrs_dur_ms = 24 (accepted 40 to 250); set to NaN"),
            ("B", "V1", "info", "implausible qrs_dur_ms = 270 (accepted 40 to 250); set to NaN"),
            ("B", "V2", "info", "implausible qrs_dur_ms = 33 (accepted 40 to 250); set to NaN"),
            ("C", "I", "info", "implausible qtc_ms = 829.1 (accepted 200 to 800); set to NaN"),
            ("D", "I", "info", "implausible st_level_mv = -1.2e+01 (accepted -10 to 10); set to NaN"),
            ("C", "aVL", "warning", "flat signal (SD < 0.1 µV)")]
    qc = pd.DataFrame(rows, columns=["record_id", "lead", "severity", "problem"])
    out = bench.implausible_values(qc).set_index("feature")
    assert out.loc["qrs_dur_ms"].tolist() == [3, 2, 2, 1]  # values, records, below, above
    assert out.loc["qtc_ms"].tolist() == [1, 1, 0, 1]
    assert out.loc["st_level_mv"].tolist() == [1, 1, 1, 0]
    assert "flat" not in " ".join(out.index)
