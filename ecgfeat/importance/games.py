"""Value functions ("games") over lead coalitions, all behind ``v(coalitions) -> values``.

A coalition is a boolean vector over players (lead groups). ``game(masks)`` takes an (n_coalitions,
n_players) boolean array and returns an (n_coalitions, n_rows, n_outputs) array: the value of each coalition
for each explained row (one row for a global game) and output (label).

* :class:`MaskedModelGame` - local: a model's output for each record with absent leads removed, either set
  to missing (for models trained with lead dropout, or trees that route missing values) or replaced from a
  background sample and averaged (interventional, as shap's maskers do).
* :class:`GlobalScoreGame` - global, SAGE-style: a dataset-level score (negative log-loss or AUROC per label)
  of the masked model as a function of which leads are present.
* :class:`RetrainGame` - global: the held-out score of a model retrained on only the present leads; coalition
  models are cached on disk by content and can be fitted in parallel.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from .._hashing import content_hash
from .._parallel import worker_count
from ..scoring import label_scores
from ..features.lead_groups import LeadGroups

PredictFn = Callable[[np.ndarray], np.ndarray]


def _as_2d(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    return p[:, None] if p.ndim == 1 else p


class Game:
    """Base class: ``players``, ``outputs``, ``n_rows`` and ``__call__(masks)``."""

    players: list[str]
    outputs: list[str]
    n_rows: int
    description: str = ""

    @property
    def n_players(self) -> int:
        return len(self.players)

    def __call__(self, masks: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError


class MaskedModelGame(Game):
    """Local game: ``v_x(S) = f(x with the leads outside S removed)`` for each row ``x`` of ``X``.

    Parameters
    ----------
    predict : callable (n, n_columns) float array → (n,) or (n, n_outputs)
    X : (n_rows, n_columns) rows to explain (DataFrame or array)
    groups : :class:`LeadGroups` over X's columns (the players)
    masking : 'missing' (absent columns set to NaN) or 'background' (absent columns taken from each row of
        ``background`` in turn and the outputs averaged)
    background : (n_background, n_columns) rows for 'background' masking
    link : 'identity' or 'logit' (explain log-odds instead of probabilities)
    outputs : names of the outputs; default the model's ``labels_`` when ``predict`` is a fitted model's method
    batch_rows : rows per model call (memory bound)
    empty_output : (n_outputs,) probabilities that define v(∅) for every row, e.g. the training prevalence
        (``model.priors_``), the same baseline as :class:`RetrainGame`'s. None: the model's output with every lead
        absent, an input a model rarely saw in training.
    """

    def __init__(self, predict: PredictFn, X, groups: LeadGroups, masking: str = "missing", background=None,
                 link: str = "identity", outputs: Sequence[str] | None = None, batch_rows: int = 200_000,
                 empty_output: Sequence[float] | None = None):
        if masking not in ("missing", "background"):
            raise ValueError(f"masking must be 'missing' or 'background', got {masking!r}")
        if link not in ("identity", "logit"):
            raise ValueError(f"link must be 'identity' or 'logit', got {link!r}")
        self.predict = predict
        self.X = np.asarray(X, dtype=np.float32)
        self.groups = groups
        self.masking = masking
        if masking == "background":
            if background is None:
                raise ValueError("masking='background' needs a background sample")
            self.background = np.asarray(background, dtype=np.float32)
        else:
            self.background = None
        self.link = link
        self.batch_rows = batch_rows
        self.players = groups.names
        self.n_rows = len(self.X)
        probe = _as_2d(predict(self.X[:1]))
        if outputs is None:  # a fitted model's method (model.predict_label_proba) names its outputs
            outputs = getattr(getattr(predict, "__self__", None), "labels_", None)
            if outputs is not None and len(outputs) != probe.shape[1]:
                outputs = None
        self.outputs = list(outputs) if outputs is not None else [f"output{k}" for k in range(probe.shape[1])]
        self.description = f"local masked model ({masking}, {link})"
        self._member = groups.group_matrix().astype(bool)
        self.empty_output = None
        if empty_output is not None:
            self.empty_output = np.asarray(empty_output, dtype=np.float64).ravel()
            if self.empty_output.shape != (len(self.outputs),):
                raise ValueError(f"empty_output has {self.empty_output.size} values for {len(self.outputs)} outputs")

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return self._link(_as_2d(self.predict(Z)))

    def _link(self, p: np.ndarray) -> np.ndarray:
        if self.link == "logit":
            p = np.clip(p, 1e-7, 1 - 1e-7)
            p = np.log(p / (1 - p))
        return p

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        masks = np.atleast_2d(np.asarray(masks, dtype=bool))
        cols = masks @ self._member  # (n_coal, n_columns) True = present
        n_c, n_r = len(masks), self.n_rows
        out = np.empty((n_c, n_r, len(self.outputs)))
        n_bg = 1 if self.background is None else len(self.background)
        per_coal = n_r * n_bg
        step = max(1, self.batch_rows // per_coal)
        for a in range(0, n_c, step):
            cm = cols[a:a + step]
            # rows: coalition-major, then record, then background; one broadcast write, no repeated copies
            if self.background is None:
                Z = np.where(cm[:, None, None, :], self.X[None, :, None, :], np.float32(np.nan))
            else:
                Z = np.where(cm[:, None, None, :], self.X[None, :, None, :], self.background[None, None, :, :])
            f = self._f(Z.reshape(-1, Z.shape[-1])).reshape(len(cm), n_r, n_bg, -1)
            out[a:a + len(cm)] = f.mean(axis=2)
        if self.empty_output is not None:
            empty = ~masks.any(axis=1)
            out[empty] = self._link(self.empty_output[None, :])[0]
        return out


class GlobalScoreGame(Game):
    """Global game (SAGE-style): ``v(S) = score(y, f(X with leads outside S removed))`` per label.

    score : 'neg_log_loss' (default; v(∅) is the loss of the masked model, so values are loss reductions) or
        'auroc'. Rows with a NaN label are ignored for that label.
    empty_output : v(∅)'s probabilities (see :class:`MaskedModelGame`); pass the training prevalence to share
        :class:`RetrainGame`'s baseline (for AUROC any constant gives v(∅) = 0.5).
    """

    def __init__(self, predict: PredictFn, X, y, groups: LeadGroups, masking: str = "missing", background=None,
                 score: str = "neg_log_loss", outputs: Sequence[str] | None = None, batch_rows: int = 200_000,
                 empty_output: Sequence[float] | None = None):
        if score not in ("neg_log_loss", "auroc"):
            raise ValueError(f"score must be 'neg_log_loss' or 'auroc', got {score!r}")
        self.local = MaskedModelGame(predict, X, groups, masking, background, "identity", outputs, batch_rows,
                                     empty_output)
        self.y = np.asarray(y, dtype=float).reshape(len(self.local.X), -1)
        self.score = score
        self.players = groups.names
        self.outputs = self.local.outputs
        self.n_rows = 1
        self.description = f"global {score} of masked model ({masking})"

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        """Values (c, 1, outputs) of coalitions; wrap the game in a
        :class:`~ecgfeat.importance.coalitions.CachedGame` to compute each coalition once across calls."""
        p = self.local(np.atleast_2d(np.asarray(masks, dtype=bool)))  # (n_c, n_rows, n_out)
        return np.stack([label_scores(self.y, p[c], self.score) for c in range(len(p))])[:, None, :]


def _fit_predict(make_model: Callable[[tuple[str, ...]], object], leads: tuple[str, ...], X_train, y_train,
                 X_test) -> np.ndarray:
    """Held-out probabilities (n_test, n_outputs) of a model trained on ``leads`` only."""
    model = make_model(leads)
    model.fit(X_train, y_train)
    p = model.predict_label_proba(X_test) if hasattr(model, "predict_label_proba") else model.predict_proba(X_test)
    return _as_2d(p)


class RetrainGame(Game):
    """Global game: ``v(S)`` = held-out score of a model trained on only the leads in ``S``.

    Each coalition's model is fitted with ``make_model(leads)`` (an unfitted estimator with ``fit`` and
    ``predict_label_proba`` or ``predict_proba``) on ``(X_train, y_train)`` and scored on ``(X_test, y_test)``
    with per-label AUROC (or negative log-loss). ``v(∅)`` is the score of the training prevalence (AUROC 0.5).
    Held-out predictions are cached on disk in ``cache_dir`` under a content hash of the data, the lead set and the model
    configuration (``config``), so runs share and reuse coalition models; ``n_jobs`` fits coalitions of one
    call in parallel (joblib; a Dask cluster through joblib's dask backend); ``progress`` shows a bar over
    the fits of each call.
    """

    def __init__(self, make_model: Callable[[tuple[str, ...]], object], X_train: pd.DataFrame, y_train,
                 X_test: pd.DataFrame, y_test, groups: LeadGroups, *, config: dict | None = None,
                 score: str = "auroc", cache_dir: str | Path | None = None, n_jobs: int = 1,
                 outputs: Sequence[str] | None = None, progress: bool = False):
        if score not in ("auroc", "neg_log_loss"):
            raise ValueError(f"score must be 'auroc' or 'neg_log_loss', got {score!r}")
        self.make_model = make_model
        self.X_train, self.X_test = X_train, X_test
        self.y_train = pd.DataFrame(np.asarray(y_train, float).reshape(len(X_train), -1))
        self.y_test = pd.DataFrame(np.asarray(y_test, float).reshape(len(X_test), -1))
        self.groups = groups
        self.score = score
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.n_jobs = worker_count(n_jobs)
        self.progress = progress
        self.players = groups.names
        self.outputs = list(outputs) if outputs is not None else (
            [str(c) for c in y_train.columns] if isinstance(y_train, pd.DataFrame)
            else [f"output{k}" for k in range(self.y_train.shape[1])])
        self.n_rows = 1
        self.description = f"retrained models, held-out {score}"
        self._data_key = content_hash(X_train, self.y_train.to_numpy(), X_test, self.y_test.to_numpy(),
                                      config or {}, score)
        self.fits = 0
        self.hits = 0
        self._proba: dict[tuple[str, ...], np.ndarray] = {}

    def _key(self, leads: tuple[str, ...]) -> str:
        return content_hash(self._data_key, list(leads), "per-record predictions v2")[:24]

    def refitted(self, make_model: Callable[[tuple[str, ...]], object], config: dict | None = None) -> "RetrainGame":
        """The same game (data, score, outputs, cache folder, workers) with models from ``make_model``, keyed in
        the cache by ``config``: for example the same models with another seed."""
        return RetrainGame(make_model, self.X_train, self.y_train, self.X_test, self.y_test, self.groups,
                           config=config, score=self.score, cache_dir=self.cache_dir, n_jobs=self.n_jobs,
                           outputs=self.outputs, progress=self.progress)

    def _prior_proba(self) -> np.ndarray:
        """v(∅)'s predictions: the training prevalence of each label for every held-out record (AUROC 0.5)."""
        prior = np.nanmean(self.y_train.to_numpy(), axis=0)
        return np.broadcast_to(prior, self.y_test.shape).copy()


    def held_out_predictions(self) -> dict[tuple[str, ...], np.ndarray]:
        """(n_test, n_outputs) held-out probabilities of every coalition evaluated so far, by lead tuple."""
        return dict(self._proba)

    def record_contributions(self) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
        """Values and per-record contributions (see :func:`~ecgfeat.importance.inference.score_contributions`)
        of every coalition evaluated so far, keyed by coalition code (player i = bit i)."""
        from .inference import score_contributions  # inference builds on games: imported when used

        values, contrib = {}, {}
        for leads, p in self._proba.items():
            code = sum(1 << self.players.index(lead) for lead in leads)
            v, a = score_contributions(self.y_test.to_numpy(), p[None], self.score)
            values[code], contrib[code] = v[0], a[0]
        return values, contrib

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        masks = np.atleast_2d(np.asarray(masks, dtype=bool))
        out = np.empty((len(masks), 1, len(self.outputs)))
        todo: dict[tuple[str, ...], Path | None] = {}
        for m in masks:
            leads = tuple(p for p, keep in zip(self.players, m) if keep)
            if leads in self._proba or leads in todo:
                continue
            if not leads:
                self._proba[leads] = self._prior_proba()
                continue
            path = self.cache_dir / f"{self._key(leads)}.npz" if self.cache_dir is not None else None
            if path is not None and path.exists():
                with np.load(path, allow_pickle=False) as f:
                    self._proba[leads] = f["proba"]
                self.hits += 1
            else:
                todo[leads] = path
        # a module-level task with its inputs (never the game, whose prediction store grows while tasks are sent)
        y_named = self.y_train.set_axis(self.outputs, axis=1)
        values = Parallel(n_jobs=self.n_jobs, return_as="generator")(
            delayed(_fit_predict)(self.make_model, leads, self.X_train, y_named, self.X_test) for leads in todo)
        bar = tqdm(values, total=len(todo), desc="coalition models", unit="fit",
                   disable=not self.progress or not todo)
        for (leads, path), p in zip(todo.items(), bar):
            self._proba[leads] = p
            self.fits += 1
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(path.stem + ".tmp.npz")
                np.savez(tmp, proba=p, leads=np.array(leads))
                tmp.replace(path)
        for c, m in enumerate(masks):
            leads = tuple(p for p, keep in zip(self.players, m) if keep)
            out[c, 0] = label_scores(self.y_test.to_numpy(), self._proba[leads], self.score)
        return out
