"""Tabulated lead games for the sampler benchmark: every coalition's value (all 4,096) of real games, computed once
and saved, so that every estimator (ecgfeat's, shap's and shapiq's, the latter in another interpreter) queries the
same table and the exact Shapley values are known.

Families (the shared CinC-2021 sample, grouped folds 1-5 of :func:`assign_folds`, fold 5 held out, 45 records):

* ``local``: a ``LeadGroupedXGBClassifier(lead_dropout=0.3)`` trained on folds 1-4 for SR, STach, SB and STTC;
  the game of one held-out record and one label (missing masking, probability). Held-out records 0-9 × {SR, STTC}
  are the reported games (the issue's 20); records 10-29 × {SR, STTC} are tuning games, never reported.
* ``global``: the same model's held-out score as a function of the leads present (SAGE style), missing and
  background masking (16 training rows), negative log-loss and AUROC, per label: 16 games.
* ``retrain``: held-out AUROC and negative log-loss of a model retrained on each coalition's leads
  (``n_estimators=30``, no early stopping, one model per coalition for the 4 labels): 8 games, 4,095 fits
  (about 15 min on 2 cores, cached on disk so an interrupted run resumes).

``python benchmarks/_sampler_games.py OUT 4`` builds the same families with fold 4 held out instead, all of them
tuning games (``sampler_games_fold4.npz``): global and retraining tuning games, which fold 5's table lacks.

The table file ``<out>/sampler_games.npz`` holds ``values`` (4096, n_games; row c = coalition whose members are the
bits of c, player i = lead i in ``players``), ``family``, ``name``, ``split`` ('report' or 'tune').
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

LABELS = ["SR", "STach", "SB", "STTC"]


def _tabulate(game) -> np.ndarray:
    from ecgfeat.importance.exact import all_coalitions

    return game(all_coalitions(game.n_players))  # (4096, rows, outputs)


def build_tables(out: Path, retrain: bool = True, n_jobs: int = 2, held_out_fold: int = 5) -> Path:
    """Compute (or reuse) the game table under ``out`` and return its path. ``held_out_fold`` other than 5 gives
    a table of tuning games only (every game's split is 'tune'), ``sampler_games_fold<k>.npz``."""
    path = out / ("sampler_games.npz" if held_out_fold == 5 else f"sampler_games_fold{held_out_fold}.npz")
    if path.exists():
        return path
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import sample_features

    from ecgfeat.importance import GlobalScoreGame, MaskedModelGame, RetrainGame
    from ecgfeat.models.classifier import LeadGroupedXGBClassifier
    from ecgfeat.records.splits import assign_folds

    index, X, Y = sample_features()
    Y = Y[LABELS].fillna(0)
    test = np.asarray(assign_folds(index, Y, n_folds=5, random_state=0) == held_out_fold)
    model = LeadGroupedXGBClassifier(lead_dropout=0.3, random_state=0, n_jobs=n_jobs).fit(X.loc[~test], Y.loc[~test])
    groups = model.lead_groups_
    cols, fam, names, split = [], [], [], []

    rows = X.loc[test].iloc[:30]
    v = _tabulate(MaskedModelGame(model.predict_label_proba, rows, groups, outputs=model.labels_))
    for r in range(len(rows)):
        for lab in ("SR", "STTC"):
            cols.append(v[:, r, LABELS.index(lab)])
            fam.append("local")
            names.append(f"local record {r} {lab}")
            split.append("report" if r < 10 and held_out_fold == 5 else "tune")

    background = X.loc[~test].sample(16, random_state=0)
    for masking in ("missing", "background"):
        for score in ("neg_log_loss", "auroc"):
            g = GlobalScoreGame(model.predict_label_proba, X.loc[test], Y.loc[test], groups, masking=masking,
                                background=background if masking == "background" else None, score=score,
                                outputs=model.labels_)
            v = _tabulate(g)
            for k, lab in enumerate(LABELS):
                cols.append(v[:, 0, k])
                fam.append("global")
                names.append(f"global {masking} {score} {lab}")
                split.append("report" if held_out_fold == 5 else "tune")

    if retrain:
        make = lambda leads: LeadGroupedXGBClassifier(leads=leads, n_estimators=30,  # noqa: E731
                                                      early_stopping_rounds=None, random_state=0, n_jobs=1)
        from ecgfeat.importance.exact import all_coalitions
        from ecgfeat.scoring import label_scores

        g = RetrainGame(make, X.loc[~test], Y.loc[~test], X.loc[test], Y.loc[test], groups,
                        config={"n_estimators": 30, "table": 1}, score="auroc", n_jobs=n_jobs,
                        cache_dir=out / "retrain_cache", progress=False)
        masks = all_coalitions(len(groups.names))
        for a in range(0, len(masks), 256):  # in chunks: the disk cache keeps every finished chunk
            g(masks[a:a + 256])
        proba = g.held_out_predictions()
        y_test = Y.loc[test].to_numpy()
        for score in ("auroc", "neg_log_loss"):
            v = np.stack([label_scores(y_test, proba[tuple(p for p, k in zip(groups.names, m) if k)], score)
                          for m in masks])
            for k, lab in enumerate(LABELS):
                cols.append(v[:, k])
                fam.append("retrain")
                names.append(f"retrain {score} {lab}")
                split.append("report" if held_out_fold == 5 else "tune")

    out.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, values=np.stack(cols, axis=1), family=np.array(fam), name=np.array(names),
             split=np.array(split), players=np.array(groups.names))
    tmp.replace(path)
    return path


def load_tables(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


if __name__ == "__main__":
    print(build_tables(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("artifacts/bench"),
                       held_out_fold=int(sys.argv[2]) if len(sys.argv) > 2 else 5))
