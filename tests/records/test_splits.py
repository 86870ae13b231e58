from __future__ import annotations

import numpy as np
import pandas as pd

from ecgfeat.records import LabelTable
from ecgfeat.records.splits import assign_folds, record_groups, split_by_folds


def test_duplicates_never_straddle_folds_and_ptbxl_folds_are_kept(sample_index):
    index, _ = sample_index
    y = LabelTable.load().encode(index, "study17")
    for seed in range(5):
        folds = assign_folds(index, y, n_folds=10, random_state=seed)
        assert set(folds) <= set(range(1, 11))
        per_key = pd.Series(folds).groupby(index.ecg_key.to_numpy()).nunique()
        assert (per_key == 1).all()
        # the 24 ECGs present twice (20 PTB-XL, 4 ecg-arrhythmia) share their fold with their twin
        assert (index.ecg_key.value_counts() == 2).sum() == 24
        ptb = index.dataset == "ptb-xl"
        np.testing.assert_array_equal(folds[ptb], index.strat_fold[ptb].astype(int))


def test_patients_are_grouped_and_stratification_balances_labels():
    rng = np.random.default_rng(0)
    n = 600
    index = pd.DataFrame({"ecg_key": [f"k{i}" for i in range(n)],
                          "patient_id": [f"p{i // 3}" for i in range(n)],  # 3 records per patient
                          "strat_fold": np.nan})
    y = (rng.random((n, 4)) < [0.5, 0.2, 0.05, 0.02]).astype(float)
    folds = assign_folds(index, y, n_folds=5, random_state=1)
    assert (pd.Series(folds).groupby(index.patient_id).nunique() == 1).all()
    assert len(np.unique(record_groups(index))) == 200
    per_fold = pd.DataFrame(y).groupby(folds).sum()
    expected = y.sum(axis=0) / 5
    # every fold within a few positives of its share, rare labels included
    assert (np.abs(per_fold.to_numpy() - expected) <= np.maximum(3, 0.2 * expected)).all()
    masks = split_by_folds(folds, test_folds=(5,), val_folds=(4,))
    assert (masks["train"] ^ masks["val"] ^ masks["test"]).all()
