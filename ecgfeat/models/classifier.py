"""`LeadGroupedXGBClassifier`: multi-label gradient boosting on lead-grouped feature blocks."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted, validate_data
from sklearn.utils.multiclass import type_of_target
from sklearn.utils import check_array
from sklearn.model_selection import train_test_split

from .._validation import Integral, Interval, Real, StrOptions, validate_params
from ..exceptions import InvalidModelError
from ..features.lead_groups import LeadGroups
from . import persistence
from .lead_sets import LeadSubsetSelector


def _as_2d_labels(y) -> tuple[np.ndarray, list[str], bool, np.ndarray | None]:
    """(Y as float (n, n_labels) with NaN = unknown, label names, binary?, classes of a 1-D y)."""
    if y is None:
        raise ValueError("LeadGroupedXGBClassifier requires y to be passed, but the target y is None")
    if isinstance(y, pd.DataFrame):
        Y, names = y.to_numpy(dtype=float), [str(c) for c in y.columns]
    elif isinstance(y, pd.Series) or np.asarray(y).ndim == 1:
        arr = np.asarray(y)
        if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
            raise ValueError("Input y contains NaN or infinity; a 1-D y must be complete")
        kind = type_of_target(arr, input_name="y")
        if kind == "multiclass":
            raise ValueError("Only binary classification is supported. The type of the target is multiclass; "
                             "pass one 0/1 column per label for multi-label data.")
        if kind not in ("binary",):
            raise ValueError(f"Unknown label type: {kind}. Expected a binary or multi-label 0/1 target.")
        classes = np.unique(arr)
        name = str(getattr(y, "name", None) or "y")
        return (arr == classes[-1]).astype(float)[:, None], [name], True, classes
    else:
        Y = np.asarray(y, dtype=float)
        names = [f"label{k}" for k in range(Y.shape[1])]
    if np.isinf(Y).any():
        raise ValueError("Input y contains infinity")
    known = Y[~np.isnan(Y)]
    if not np.isin(known, (0, 1)).all():
        raise ValueError("Unknown label type: continuous or multiclass. Multi-label y must be 0/1 (NaN = unknown).")
    return Y, names, False, None


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """Decision threshold maximising F1 on (y, p); 0.5 when y has no positives."""
    y = np.asarray(y, bool)
    if y.sum() == 0 or len(y) == 0:
        return 0.5
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    fp = np.cumsum(~ys)
    f1 = 2 * tp / (tp + fp + y.sum())
    distinct = np.r_[ps[1:] != ps[:-1], True]  # threshold between distinct scores only
    k = int(np.argmax(np.where(distinct, f1, -1)))
    nxt = ps[k + 1] if k + 1 < len(ps) else 0.0
    return float((ps[k] + nxt) / 2)


class LeadGroupedXGBClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label XGBoost on ``"{lead}__{feature}"`` columns, any lead subset, with lead dropout.

    ``fit(X, Y)`` with ``Y`` of shape (n_samples, n_labels), 0/1 with NaN for unknown labels (rows with a NaN
    label are left out for that label only). ``predict_proba`` returns an (n_samples, n_labels) array in
    label order (``labels_``); ``predict`` applies the per-label thresholds ``thresholds_``. With a 1-D ``y``
    it behaves as a binary classifier (``predict_proba`` of shape (n_samples, 2)).

    Parameters
    ----------
    leads : lead subset (catalogue name or list) to train on; other leads' columns are ignored. None: all.
    multi_strategy : 'per_label' (one booster per label, the default) or 'native' (XGBoost's multi-output
        ``one_output_per_tree``). On the shared sample native fitted ~2.5x faster with macro AUROC inside the
        per-label CI (``benchmarks/bench_models.py``); per-label stays the default because it is the only one that
        ignores unknown (NaN) labels instead of counting them negative, and it weights, early-stops and
        thresholds each label on its own.
    imbalance : 'scale_pos_weight' (weights negatives/positives per label), 'undersample' (imbalanced-learn
        ``RandomUnderSampler`` per label) or 'none'.
    early_stopping_rounds, validation_fraction : early stopping on a stratified inner validation split, which
        also sets the per-label F1-optimal threshold (0.5 when a label has too few positives).
    lead_dropout : probability that a whole lead group is set to missing in each of ``dropout_copies``
        augmented copies of the training data (at least one lead always stays), so one model stays usable
        when leads are absent.
    empty_dropout : probability that a row of each augmented copy has every lead missing, so the model's output
        with no lead is learnt (close to the training prevalence with ``imbalance='none'``); 0 keeps a lead always.
    threshold : 'f1' (per-label threshold maximising F1 on the inner validation split) or a fixed probability.
    """

    def __init__(self, leads: str | Sequence[str] | None = None, multi_strategy: str = "per_label",
                 n_estimators: int = 300, learning_rate: float = 0.1, max_depth: int = 4, subsample: float = 0.8,
                 colsample_bytree: float = 0.8, min_child_weight: float = 1.0, reg_lambda: float = 1.0,
                 imbalance: str = "scale_pos_weight", early_stopping_rounds: int | None = 30,
                 validation_fraction: float = 0.2, lead_dropout: float = 0.0, dropout_copies: int = 2,
                 empty_dropout: float = 0.0, threshold: str | float = "f1", n_jobs: int = 1, random_state: int | None = 0):
        self.leads = leads
        self.multi_strategy = multi_strategy
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.imbalance = imbalance
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.lead_dropout = lead_dropout
        self.dropout_copies = dropout_copies
        self.empty_dropout = empty_dropout
        self.threshold = threshold
        self.n_jobs = n_jobs
        self.random_state = random_state

    _parameter_constraints: dict = {
        "leads": [None, str, "array-like"],
        "multi_strategy": [StrOptions({"per_label", "native"})],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_depth": [Interval(Integral, 1, None, closed="left")],
        "subsample": [Interval(Real, 0, 1, closed="right")],
        "colsample_bytree": [Interval(Real, 0, 1, closed="right")],
        "min_child_weight": [Interval(Real, 0, None, closed="left")],
        "reg_lambda": [Interval(Real, 0, None, closed="left")],
        "imbalance": [StrOptions({"scale_pos_weight", "undersample", "none"})],
        "early_stopping_rounds": [None, Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "lead_dropout": [Interval(Real, 0, 1, closed="left")],
        "dropout_copies": [Interval(Integral, 1, None, closed="left")],
        "empty_dropout": [Interval(Real, 0, 1, closed="left")],
        "threshold": [StrOptions({"f1"}), Interval(Real, 0, 1, closed="neither")],
        "n_jobs": [None, Integral],
        "random_state": [None, Interval(Integral, 0, None, closed="left")],
    }

    # ----------------------------------------------------------------- helpers
    def _xgb_params(self, seed: int) -> dict:
        return dict(n_estimators=self.n_estimators, learning_rate=self.learning_rate, max_depth=self.max_depth,
                    subsample=self.subsample, colsample_bytree=self.colsample_bytree,
                    min_child_weight=self.min_child_weight, reg_lambda=self.reg_lambda, tree_method="hist",
                    n_jobs=self.n_jobs, random_state=seed, eval_metric="logloss", missing=np.nan)

    def _select(self, X) -> np.ndarray:
        """Columns used by the model, as float32, from a DataFrame or array with the fitted layout."""
        if isinstance(X, pd.DataFrame):
            pos = {str(c): i for i, c in enumerate(X.columns)}
            missing = [c for c in self.feature_names_in_ if c not in pos]
            if missing:
                raise ValueError(f"X lacks {len(missing)} feature columns seen in fit, e.g. {missing[:3]}")
            cols = [pos[c] for c in self.feature_names_in_[self.support_]]
            return X.iloc[:, cols].to_numpy(dtype=np.float32)

        # arrays are taken in the fitted column order; checked by count (no feature-name warning per call)
        arr = check_array(X, ensure_all_finite="allow-nan", dtype=np.float32, copy=False)
        if arr.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {arr.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input.")
        return arr if self.support_.all() else arr[:, self.support_]  # no copy when every column is used

    def _dropout(self, Xs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        groups = self.lead_groups_
        copies = [Xs]
        for _ in range(self.dropout_copies):
            keep = rng.random((len(Xs), len(groups))) >= self.lead_dropout
            none = ~keep.any(axis=1)
            keep[none, rng.integers(0, len(groups), none.sum())] = True
            if self.empty_dropout > 0:
                keep[rng.random(len(Xs)) < self.empty_dropout] = False
            cols = keep.astype(np.int8) @ groups.group_matrix()
            copies.append(np.where(cols.astype(bool), Xs, np.nan).astype(np.float32))
        return np.concatenate(copies)

    # --------------------------------------------------------------------- fit
    def fit(self, X, y):
        """Fit one booster per label (or one multi-output booster); returns self."""
        validate_params(self)
        import xgboost as xgb  # lazy: a ~2 s import, paid only by fit/save/load (not by every CLI call)

        if isinstance(X, pd.DataFrame):
            validate_data(self, X.to_numpy(dtype=np.float32), ensure_all_finite="allow-nan", reset=True,
                          dtype=np.float32)
            self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
            Xa = X.to_numpy(dtype=np.float32)
        else:
            Xa = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float32)
            self.feature_names_in_ = np.asarray([f"x{i}" for i in range(Xa.shape[1])], dtype=object)
        Y, names, self._binary, classes = _as_2d_labels(y)
        if Y.shape[0] != Xa.shape[0]:
            raise ValueError(f"X has {Xa.shape[0]} rows but y has {Y.shape[0]}")
        self.classes_ = classes if self._binary else np.array([0, 1])
        self.labels_ = names
        if self.leads is None:
            self.support_ = np.ones(len(self.feature_names_in_), dtype=bool)
        else:  # the lead columns only (no 'global' columns), as LeadSubsetSelector(leads) keeps them
            selector = LeadSubsetSelector(self.leads).fit(pd.DataFrame(columns=list(self.feature_names_in_)))
            self.support_ = selector.support_
        self.lead_groups_ = LeadGroups.from_columns(list(self.feature_names_in_[self.support_]), remainder="group")
        Xs = Xa[:, self.support_]
        rng = np.random.default_rng(self.random_state)
        self.boosters_, self.best_iterations_, self.thresholds_, self.priors_ = [], [], [], []
        self.n_features_used_ = int(self.support_.sum())
        if self.multi_strategy == "native":  # one multi-output booster; unknown labels count as negative
            Yf = np.nan_to_num(Y)
            booster, best, thresholds = self._fit_booster(xgb, Xs, Yf, np.arange(len(Xs)),
                                                          Yf.max(axis=1) if Yf.shape[1] > 1 else Yf[:, 0], rng)
            self.boosters_, self.best_iterations_, self.thresholds_ = [booster], [best], thresholds
            self.priors_ = list(np.nanmean(Y, axis=0))
            return self
        shared = None  # one training matrix (quantile sketch) for every label that trains on all rows as given
        for k in range(Y.shape[1]):  # one booster per label, on the rows where the label is known
            known = np.flatnonzero(~np.isnan(Y[:, k]))
            yk = Y[known, k]
            self.priors_.append(float(yk.mean()) if len(yk) else 0.0)
            if len(yk) == 0 or yk.min() == yk.max():  # nothing to learn: constant prior
                self.boosters_.append(None)
                self.best_iterations_.append(-1)
                self.thresholds_.append(self._default_t())
                continue
            as_given = len(known) == len(Xs) and self._trains_on_rows_as_given()
            if as_given and shared is None:
                shared = xgb.QuantileDMatrix(Xs, missing=np.nan, nthread=self.n_jobs)
            booster, best, thresholds = self._fit_booster(xgb, Xs, Y[:, [k]], known, yk, rng,
                                                          shared if as_given else None)
            self.boosters_.append(booster)
            self.best_iterations_.append(best)
            self.thresholds_.extend(thresholds)
        return self

    def _trains_on_rows_as_given(self) -> bool:
        """A label with no unknown value trains on every row of X unchanged: no inner validation split, no
        resampling, no dropout copies; such labels share one training matrix."""
        return (self.early_stopping_rounds is None and self.imbalance != "undersample" and self.lead_dropout == 0
                and self.empty_dropout == 0)

    def _fit_booster(self, xgb, Xs: np.ndarray, Y: np.ndarray, rows: np.ndarray, strata: np.ndarray,
                     rng: np.random.Generator, shared=None):
        """One booster on ``rows`` for the label columns of ``Y`` (one: per-label, all: native multi-output):
        inner validation split (early stopping, thresholds), class balancing (single label), lead dropout.
        ``shared``: an ``xgboost.QuantileDMatrix`` of all of ``Xs``, given only when this single-label booster
        trains on every row as given (:meth:`_trains_on_rows_as_given`); the booster is the same as fitting from
        the arrays, without sketching the features again.
        Returns (booster, best iteration, thresholds per label column)."""
        single = Y.shape[1] == 1
        tr, va = rows, None
        n_pos = int(strata.sum())
        if self.early_stopping_rounds is not None and n_pos >= 4 and len(rows) - n_pos >= 4:
            tr, va = train_test_split(rows, test_size=self.validation_fraction, stratify=strata,
                                      random_state=int(rng.integers(2**31)))
        Xtr, ytr = Xs[tr], Y[tr]
        if single and self.imbalance == "undersample":
            from imblearn.under_sampling import RandomUnderSampler  # lazy: only imbalance='undersample'

            rus = RandomUnderSampler(random_state=int(rng.integers(2**31)))
            sel, _ = rus.fit_resample(np.arange(len(ytr))[:, None], ytr[:, 0])
            Xtr, ytr = Xtr[sel[:, 0]], ytr[sel[:, 0]]
        if self.lead_dropout > 0 or self.empty_dropout > 0:
            Xtr, ytr = self._dropout(Xtr, rng), np.tile(ytr, (1 + self.dropout_copies, 1))
        params = self._xgb_params(int(rng.integers(2**31)))
        if single and self.imbalance == "scale_pos_weight":
            params["scale_pos_weight"] = float((ytr == 0).sum() / max((ytr == 1).sum(), 1))
        if va is not None:
            params["early_stopping_rounds"] = self.early_stopping_rounds
        if not single:
            params["multi_strategy"] = "one_output_per_tree"
        target = ytr[:, 0] if single else ytr
        if shared is not None:
            shared.set_label(target)
            model = xgb.XGBClassifier(**params)
            booster = xgb.train(model.get_xgb_params(), shared, num_boost_round=model.get_num_boosting_rounds())
            return booster, self.n_estimators - 1, [self._default_t()]
        model = xgb.XGBClassifier(**params)
        model.fit(Xtr, target, eval_set=[(Xs[va], Y[va, 0] if single else Y[va])] if va is not None else None,
                  verbose=False)
        best = int(model.best_iteration) if va is not None else self.n_estimators - 1
        booster = model.get_booster()
        if va is None:
            return booster, best, [self._default_t()] * Y.shape[1]
        pv = self._booster_predict(booster, Xs[va], best)
        return booster, best, [self._pick_threshold(Y[va, j], pv[:, j]) for j in range(Y.shape[1])]

    def _default_t(self) -> float:
        return 0.5 if self.threshold == "f1" else float(self.threshold)

    def _pick_threshold(self, y: np.ndarray, p: np.ndarray) -> float:
        return best_f1_threshold(y, p) if self.threshold == "f1" else float(self.threshold)

    # ----------------------------------------------------------------- predict
    @staticmethod
    def _booster_predict(booster, Xs: np.ndarray, best: int) -> np.ndarray:
        p = booster.inplace_predict(Xs, iteration_range=(0, best + 1), missing=np.nan)
        p = np.asarray(p, dtype=np.float64)
        return p[:, None] if p.ndim == 1 else p

    def predict_label_proba(self, X) -> np.ndarray:
        """(n_samples, n_labels) probabilities."""
        check_is_fitted(self, "boosters_")
        Xs = self._select(X)
        if self.multi_strategy == "native":
            return self._booster_predict(self.boosters_[0], Xs, self.best_iterations_[0])
        out = np.empty((len(Xs), len(self.labels_)))
        for k, (b, best) in enumerate(zip(self.boosters_, self.best_iterations_)):
            out[:, k] = self.priors_[k] if b is None else self._booster_predict(b, Xs, best)[:, 0]
        return out

    def predict_proba(self, X) -> np.ndarray:
        p = self.predict_label_proba(X)
        if self._binary:
            return np.column_stack([1 - p[:, 0], p[:, 0]])
        return p

    def predict(self, X) -> np.ndarray:
        p = self.predict_label_proba(X)
        hard = (p >= np.asarray(self.thresholds_)).astype(int)
        if self._binary:
            return np.asarray(self.classes_)[hard[:, 0]] if len(self.classes_) == 2 else \
                np.full(len(p), self.classes_[0])
        return hard

    def _threshold_logit(self) -> np.ndarray:
        t = np.clip(np.asarray(self.thresholds_, float), 1e-12, 1 - 1e-12)
        return np.log(t / (1 - t))

    def decision_function(self, X) -> np.ndarray:
        """Logit of the probability minus the logit of the label's threshold: > 0 exactly where ``predict`` is 1."""
        p = np.clip(self.predict_label_proba(X), 1e-12, 1 - 1e-12)
        logit = np.log(p / (1 - p)) - self._threshold_logit()
        return logit[:, 0] if self._binary else logit

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    # ------------------------------------------------------------- persistence
    def save(self, folder: str | Path) -> Path:
        """Write XGBoost JSON boosters and a versioned ``manifest.json`` (features, lead groups, labels,
        thresholds, parameters, package versions, the sha256 of every booster file and an integrity hash).
        No pickle is written."""
        import xgboost

        check_is_fitted(self, "boosters_")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for k, b in enumerate(self.boosters_):
            if b is None:
                files.append(None)
                continue
            name = f"booster_{k:03d}.json"
            b.save_model(str(folder / name))
            files.append(name)
        fields = {
            "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params().items()},
            "feature_names_in": list(self.feature_names_in_), "support": self.support_.tolist(),
            "lead_groups": {g: self.lead_groups_.columns_of(g) for g in self.lead_groups_.names},
            "labels": self.labels_, "binary": self._binary,
            "classes": np.asarray(self.classes_).tolist(),
            "thresholds": [float(t) for t in self.thresholds_], "priors": [float(p) for p in self.priors_],
            "best_iterations": [int(b) for b in self.best_iterations_], "boosters": files,
            "versions": persistence.package_versions(xgboost=xgboost.__version__),
        }
        persistence.write_manifest(folder, type(self).__name__, fields, [f for f in files if f is not None])
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "LeadGroupedXGBClassifier":
        """Load a model written by :meth:`save` (JSON only; never unpickles). Refuses, with
        :class:`InvalidModelError`, a folder whose manifest or boosters changed after saving, or whose counts and
        names disagree (boosters, labels, thresholds, features, lead groups)."""
        import xgboost as xgb

        folder = Path(folder)
        m = persistence.read_manifest(folder, cls.__name__)
        labels, boosters = m.get("labels", []), m.get("boosters", [])
        native = m.get("params", {}).get("multi_strategy") == "native"  # one multi-output booster
        expected = {"boosters": 1 if native else len(labels), "best_iterations": 1 if native else len(labels),
                    "thresholds": len(labels), "priors": len(labels)}
        bad = {k: len(m.get(k, [])) for k, n in expected.items() if len(m.get(k, [])) != n}
        if bad or len(set(labels)) != len(labels):
            raise InvalidModelError(f"{folder}: {', '.join(f'{n} {k[:-1] if n == 1 else k}' for k, n in bad.items())} "
                                    f"for {len(labels)} labels" if bad else f"{folder}: duplicate labels {labels}")
        names = list(m["feature_names_in"])
        support = np.asarray(m["support"], dtype=bool)
        if len(support) != len(names) or len(set(names)) != len(names):
            raise InvalidModelError(f"{folder}: {len(names)} feature names (unique: {len(set(names))}) for a "
                                    f"support mask of {len(support)}")
        groups = LeadGroups.from_columns([n for n, keep in zip(names, support) if keep], remainder="group")
        stored = {g: list(cols) for g, cols in m["lead_groups"].items()}
        if stored != {g: groups.columns_of(g) for g in groups.names}:
            raise InvalidModelError(f"{folder}: the lead groups of the manifest disagree with its feature names")
        params = m["params"]
        if isinstance(params.get("leads"), list):
            params["leads"] = tuple(params["leads"])
        est = cls(**params)
        est.feature_names_in_ = np.asarray(names, dtype=object)
        est.n_features_in_ = len(names)
        est.support_ = support
        est.lead_groups_ = groups
        est.labels_ = labels
        est._binary = m["binary"]
        est.classes_ = np.asarray(m["classes"])
        est.thresholds_ = m["thresholds"]
        est.priors_ = m["priors"]
        est.best_iterations_ = m["best_iterations"]
        est.n_features_used_ = int(support.sum())
        est.boosters_ = []
        for name in boosters:
            if name is None:
                est.boosters_.append(None)
                continue
            if name not in m["weights"]:
                raise InvalidModelError(f"{folder}: booster {name} has no hash in the manifest")
            b = xgb.Booster()
            b.load_model(str(persistence.weight_path(folder, name)))
            if b.num_features() != est.n_features_used_:
                raise InvalidModelError(f"{folder}: booster {name} expects {b.num_features()} features, the "
                                        f"manifest selects {est.n_features_used_}")
            est.boosters_.append(b)
        return est
