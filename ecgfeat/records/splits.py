"""Patient- and duplicate-aware multi-label stratified folds.

Records of one patient, and records that are the same ECG in two datasets (same ``ecg_key``, e.g. PTB-XL
``00001_hr`` and CinC ``HR00001``), form one group; a group never straddles folds. PTB-XL's ``strat_fold`` is
kept where a group contains a PTB-XL record; every other group is placed by iterative stratification
(Sechidis, Tsoumakas & Vlahavas, 2011) on the group's label counts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def record_groups(index: pd.DataFrame) -> np.ndarray:
    """Group id per index row: connected components of shared ``ecg_key`` or ``patient_id``."""
    parent = list(range(len(index)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for column in ("ecg_key", "patient_id"):
        first: dict[str, int] = {}
        for i, key in enumerate(index[column].to_numpy()):
            if key is None or (isinstance(key, float) and np.isnan(key)):
                continue
            if key in first:
                a, b = find(i), find(first[key])
                if a != b:
                    parent[a] = b
            else:
                first[key] = i
    roots = np.array([find(i) for i in range(len(index))])
    _, groups = np.unique(roots, return_inverse=True)
    return groups


def assign_folds(index: pd.DataFrame, y: pd.DataFrame | np.ndarray, n_folds: int = 10,
                 random_state: int | np.random.Generator | None = 0) -> np.ndarray:
    """Fold number (1..n_folds) per index row.

    Parameters
    ----------
    index : DataFrame with ``ecg_key``, ``patient_id`` and ``strat_fold`` columns
    y : (n_records, n_labels) 0/1/NaN label matrix in index order (NaN counts as 0 for stratification)
    n_folds : int
        For PTB-XL records the official ``strat_fold`` (1..10) is kept, so ``n_folds`` must be 10 when
        the index holds PTB-XL records with folds.
    """
    rng = np.random.default_rng(random_state)
    labels = np.nan_to_num(np.asarray(y, dtype=float)) > 0
    if labels.shape[0] != len(index):
        raise ValueError(f"y has {labels.shape[0]} rows, index has {len(index)}")
    groups = record_groups(index)
    n_groups = groups.max() + 1 if len(groups) else 0
    fold_of_group = np.zeros(n_groups, dtype=int)
    strat = index["strat_fold"].to_numpy(dtype=float) if "strat_fold" in index else np.full(len(index), np.nan)
    for g, f in zip(groups, strat):
        if not np.isnan(f):
            if n_folds != 10:
                raise ValueError("PTB-XL strat_fold is defined for 10 folds; use n_folds=10")
            fold_of_group[g] = int(f)
    counts = np.zeros((n_groups, labels.shape[1]))
    np.add.at(counts, groups, labels)
    sizes = np.bincount(groups, minlength=n_groups).astype(float)
    # desired counts per fold, minus what the fixed (PTB-XL) groups already take
    want_labels = np.tile(labels.sum(axis=0) / n_folds, (n_folds, 1))
    want_size = np.full(n_folds, len(index) / n_folds)
    for g in np.flatnonzero(fold_of_group):
        want_labels[fold_of_group[g] - 1] -= counts[g]
        want_size[fold_of_group[g] - 1] -= sizes[g]
    todo = set(np.flatnonzero(fold_of_group == 0).tolist())
    while todo:
        pending = np.array(sorted(todo))
        remaining = counts[pending].sum(axis=0)
        if remaining.any():
            lab = int(np.argmin(np.where(remaining > 0, remaining, np.inf)))
            batch = pending[counts[pending, lab] > 0]
        else:
            lab, batch = None, pending
        for g in rng.permutation(batch):
            key_label = want_labels[:, lab] if lab is not None else want_size
            best = np.flatnonzero(key_label == key_label.max())
            if len(best) > 1:
                sub = want_size[best]
                best = best[sub == sub.max()]
            k = int(rng.choice(best))
            fold_of_group[g] = k + 1
            want_labels[k] -= counts[g]
            want_size[k] -= sizes[g]
            todo.discard(int(g))
    return fold_of_group[groups]


def split_by_folds(folds: np.ndarray, test_folds: tuple[int, ...] = (10,), val_folds: tuple[int, ...] = (9,),
                   ) -> dict[str, np.ndarray]:
    """Boolean masks ``train``/``val``/``test`` from fold numbers (PTB-XL convention: 9 = val, 10 = test)."""
    test = np.isin(folds, test_folds)
    val = np.isin(folds, val_folds) & ~test
    return {"train": ~(test | val), "val": val, "test": test}


KEY_COLUMNS = ["record_id", "dataset"]


def split_table(index: pd.DataFrame, y: pd.DataFrame, n_folds: int = 10, test_fold: int | None = None,
                random_state: int = 0) -> pd.DataFrame:
    """Labels keyed like the feature tables: ``record_id``, ``dataset``, ``fold`` (1..n_folds, from
    :func:`assign_folds`), ``split`` ('train' or 'test'; the test fold defaults to the last fold, which for
    PTB-XL is its recommended test fold 10), then one 0/1/NaN column per label of ``y`` (index order)."""
    test_fold = n_folds if test_fold is None else test_fold
    if not 1 <= test_fold <= n_folds:
        raise ValueError(f"test fold {test_fold} is not one of the folds 1..{n_folds}")
    folds = assign_folds(index, y, n_folds=n_folds, random_state=random_state)
    return labels_with_split(index, y, folds, test_fold)


def labels_with_split(index: pd.DataFrame, y: pd.DataFrame, folds: np.ndarray, test_fold: int) -> pd.DataFrame:
    """``record_id``, ``dataset``, ``fold``, ``split`` ('test' where ``folds == test_fold``), then ``y``'s labels."""
    keys = pd.DataFrame({"record_id": index["record_id"].astype(str).to_numpy(),
                         "dataset": index["dataset"].astype(str).to_numpy(), "fold": folds,
                         "split": np.where(folds == test_fold, "test", "train")})
    return pd.concat([keys, y.reset_index(drop=True)], axis=1)
