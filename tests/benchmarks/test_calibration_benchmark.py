"""bench_importance_calibration.py's null-label diagnostics on rows whose answer is known."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from . import load_benchmark


def test_null_label_tails_count_the_tests_beyond_holms_first_cut():
    bench = load_benchmark("bench_importance_calibration.py")
    leads, seeds = ["I", "II", "V1", "V2", "V5", "aVF"], range(100)
    cut = norm.isf(0.05 / 6)  # 2.39
    rows = []
    for seed in seeds:
        for k, lead in enumerate(leads):
            # z = +3 for lead I in seeds 0-3, -3 for lead II in seeds 0-1, else 0; SE 0.01
            z = 3.0 if (lead == "I" and seed < 4) else -3.0 if (lead == "II" and seed < 2) else 0.0
            rows.append({"seed": seed, "value_function": "missing", "label": "null", "lead": lead,
                         "estimate": 0.01 * z, "total_se": 0.01, "p_holm": 0.01 if z > cut else 1.0})
    rows.append({"seed": 0, "value_function": "missing", "label": "planted", "lead": "V2", "estimate": 9.0,
                 "total_se": 0.01, "p_holm": 0.0})  # other labels are not counted
    t = bench.null_label_tails(pd.DataFrame(rows)).loc["missing"]
    assert t["fwer"] == 0.04
    assert t["upper_tail"] == pytest.approx(4 / 600) and t["two_sided"] == pytest.approx(6 / 600)
    assert t["upper_tail_normal"] == pytest.approx(0.05 / 6) and t["two_sided_normal"] == pytest.approx(0.1 / 6)
    z = np.array([3.0] * 4 + [-3.0] * 2 + [0.0] * 594)
    assert t["sd_z"] == pytest.approx(z.std(ddof=1))
