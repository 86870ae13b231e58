"""Features: per-lead fiducial points and morphology/rhythm features (NeuroKit2-style functions)."""
from .catalogue import feature_catalogue
from .ecg_clean import ecg_clean
from .ecg_delineate import Delineation, ecg_delineate
from .extract_features import FeatureTable, extract_features
from .extractor import LeadFeatureExtractor
from .lead_features import FEATURE_NAMES, FEATURE_SCHEMA_VERSION
from .lead_groups import LeadGroups
from .record_features import FeatureConfig, extract_record_features, feature_columns

__all__ = ["Delineation", "FEATURE_NAMES", "FEATURE_SCHEMA_VERSION", "FeatureConfig", "FeatureTable",
           "LeadFeatureExtractor", "LeadGroups", "ecg_clean", "ecg_delineate", "extract_features",
           "extract_record_features", "feature_catalogue", "feature_columns"]
