"""`LeadFeatureExtractor`: the feature extraction as a scikit-learn transformer."""
from __future__ import annotations

import os
from typing import Iterable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._constants import LEADS
from .._validation import Integral, Interval, Real, StrOptions, validate_params
from ..records.record import EcgRecord
from .extract_features import extract_features
from .lead_groups import LeadGroups
from .ecg_delineate import DELINEATION_METHODS
from .record_features import FeatureConfig, feature_columns


class LeadFeatureExtractor(TransformerMixin, BaseEstimator):
    """Per-lead fiducial, morphology and rhythm features, ``"{lead}__{feature}"`` columns.

    ``fit`` only validates the parameters and fixes the output columns; ``transform`` takes an index
    DataFrame (from :mod:`ecgfeat.records`) or a list of :class:`~ecgfeat.records.EcgRecord` and returns a
    DataFrame (float32) aligned with its rows. Fitted attributes: ``feature_names_out_``, ``lead_groups_``
    (:class:`LeadGroups`); after ``transform``, ``qc_`` holds the QC table of the last call.

    Parameters
    ----------
    method : 'ecgfeat' or a NeuroKit2 ``ecg_delineate`` method ('dwt', 'peak', 'prominence', 'cwt')
    anchors : 'lead' or 'consensus' (see :class:`~ecgfeat.features.record_features.FeatureConfig`)
    sampling_rate : resample to this rate (Hz) first; None keeps each record's rate
    leads : leads to extract, default all 12
    n_jobs, chunk_size, cache_dir, out_dir, backend, scheduler : see :func:`extract_features`
    """

    _parameter_constraints: dict = {
        "method": [StrOptions(set(DELINEATION_METHODS))],
        "anchors": [StrOptions({"lead", "consensus"})],
        "sampling_rate": [None, Interval(Real, 0, None, closed="neither")],
        "leads": ["array-like"],
        "n_jobs": [Integral],
        "chunk_size": [Interval(Integral, 1, None, closed="left")],
        "cache_dir": [None, str, os.PathLike],
        "out_dir": [None, str, os.PathLike],
        "backend": [StrOptions({"loky", "threading", "multiprocessing", "sequential", "dask"})],
        "scheduler": [None, str],
        "progress": ["boolean"],
    }

    def __init__(self, method: str = "ecgfeat", anchors: str = "lead", sampling_rate: float | None = None,
                 leads: tuple[str, ...] = LEADS, n_jobs: int = 1, chunk_size: int = 32,
                 cache_dir: str | None = None, out_dir: str | None = None, backend: str = "loky",
                 scheduler: str | None = None, progress: bool = False):
        self.method = method
        self.anchors = anchors
        self.sampling_rate = sampling_rate
        self.leads = leads
        self.n_jobs = n_jobs
        self.chunk_size = chunk_size
        self.cache_dir = cache_dir
        self.out_dir = out_dir
        self.backend = backend
        self.scheduler = scheduler
        self.progress = progress

    def _config(self) -> FeatureConfig:
        validate_params(self)
        return FeatureConfig(self.method, self.anchors, self.sampling_rate, tuple(self.leads)).validate()

    def fit(self, X=None, y=None):
        """Validate parameters; no data is needed."""
        self.config_ = self._config()
        self.feature_names_out_ = np.asarray(feature_columns(self.config_.leads), dtype=object)
        self.lead_groups_ = LeadGroups.from_columns(list(self.feature_names_out_))
        return self

    def transform(self, X: pd.DataFrame | Iterable[EcgRecord]) -> pd.DataFrame:
        check_is_fitted(self, "config_")
        table = extract_features(X, self.config_, n_jobs=self.n_jobs, chunk_size=self.chunk_size,
                                 cache_dir=self.cache_dir, out_dir=self.out_dir, backend=self.backend,
                                 scheduler=self.scheduler, progress=self.progress)
        self.qc_ = table.qc
        return table.features

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()
