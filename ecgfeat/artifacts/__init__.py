"""What ecgfeat writes and reads back: the tables that pass between steps (:mod:`.tables`) and a study's run
folder (:mod:`.study_results`). One owner for each file's layout."""
from __future__ import annotations

from .study_results import STUDY_TABLES, StudyResults
from .tables import (FEATURES_FILE, KEYS, LABELS_FILE, SPLIT_COLUMNS, LabelledFeatures, join_features_labels,
                     label_columns, read_features, read_labels, record_keys, write_features)

__all__ = ["FEATURES_FILE", "KEYS", "LABELS_FILE", "SPLIT_COLUMNS", "STUDY_TABLES", "LabelledFeatures",
           "StudyResults", "join_features_labels", "label_columns", "read_features", "read_labels",
           "record_keys", "write_features"]
