import numpy as np
import pandas as pd

from ecgfeat.features.delineation_scoring import ScoreAccumulator, match_points


def test_match_points_one_to_one_closest_first():
    errs, fn, fp = match_points(np.array([100, 200, 300]), np.array([105, 190, 195, 600]), tolerance=20)
    assert sorted(errs.tolist()) == [-5, 5] and fn == 1 and fp == 2


def test_accumulator_scores_only_inside_annotated_window():
    ann = pd.DataFrame({"wave": ["QRS", "QRS"], "onset": [1000, 1500], "peak": [1020, 1520],
                        "offset": [1050, 1550]})
    acc = ScoreAccumulator(sampling_rate=500, tolerance_ms=20)
    # 995 matches the edge onset; 100 and 3000 are outside the window (not false positives); 1300 is a FP
    acc.add("m", "II", ann, {"qrs_on": np.array([100, 995, 1300, 1502, 3000])})
    row = acc.summary().set_index("fiducial").loc["qrs_on"]
    assert (row.tp, row.fn, row.fp) == (2, 0, 1)
    assert row.error_mean_ms == (-5 * 2 + 2 * 2) / 2  # samples at 500 Hz -> ms


def test_a_point_at_a_wave_annotated_without_it_is_not_a_false_positive():
    """LUDB leaves some boundaries unannotated (onset -1) while marking the wave's peak: an onset found there can be
    neither right nor wrong, so it is not scored; one far from every such wave still is a false positive."""
    ann = pd.DataFrame({"wave": ["QRS", "QRS", "QRS"], "onset": [1000, -1, 2000], "peak": [1020, 1520, 2020],
                        "offset": [1050, 1550, -1]})
    acc = ScoreAccumulator(sampling_rate=500, tolerance_ms=40)
    acc.add("m", "II", ann, {"qrs_on": np.array([1002, 1500, 1800, 2001]),
                             "qrs_off": np.array([1049, 1552, 2052])})
    rows = acc.summary().set_index("fiducial")
    assert tuple(rows.loc["qrs_on", ["tp", "fn", "fp"]]) == (2, 0, 1)  # 1500 not scored, 1800 a false positive
    assert tuple(rows.loc["qrs_off", ["tp", "fn", "fp"]]) == (2, 0, 0)  # 2052 lies at the third complex
