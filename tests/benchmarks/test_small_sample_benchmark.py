"""bench_small_sample_tests.py: one replication's rows, and its Welch-Satterthwaite degrees of freedom against
their definition and Hsu's bound."""
from __future__ import annotations

import numpy as np

from . import load_benchmark


def _bench():
    return load_benchmark("bench_small_sample_tests.py")


def test_welch_degrees_of_freedom_are_n_minus_one_for_equal_contributions_and_never_below_hsus_bound():
    bench = _bench()
    positive = np.zeros(40, bool)
    positive[:10] = True
    equal = np.ones((40, 1))
    equal[positive] *= 3.0  # V+ = 90, V- = 30: (120)^2 / (90^2/9 + 30^2/29)
    np.testing.assert_allclose(bench._welch_df(equal, positive), 14400 / (900 + 900 / 29))
    rng = np.random.default_rng(0)
    influence = rng.standard_normal((40, 6)) * rng.gamma(0.5, size=(40, 1))
    df = bench._welch_df(influence, positive)
    assert np.all(df >= 9 - 1e-9) and np.all(df <= 38 + 1e-9)


def test_a_replication_gives_each_choice_for_both_masked_games():
    rows = _bench().replicate(0, 250, n_draws=50)
    assert set(rows.choice) == {"normal", "hsu", "welch"} and set(rows.value_function) == {"missing", "background"}
    hsu = rows[rows.choice == "hsu"]
    assert np.all(hsu.median_df == np.minimum(hsu.n_pos, 50 - hsu.n_pos) - 1)
    assert np.all(rows[rows.choice == "normal"].median_df == np.inf)
    assert rows.covered.between(0, 1).all()
    # the largest P(top 1): from Gaussian draws (normal), multivariate t draws (hsu), not computed for welch
    tops = rows.set_index(["value_function", "choice"]).max_p_top1
    assert tops.xs("welch", level="choice").isna().all() and tops.drop("welch", level="choice").between(0, 1).all()
    confident = rows.set_index("choice").confident_top1
    assert confident.loc["welch"].isna().all() and confident.drop("welch").isin([0.0, 1.0]).all()
