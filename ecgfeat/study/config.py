"""A study's configuration: a validated dataclass read from YAML, and the configurations shipped with ecgfeat."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from .._constants import LEADS
from .._parallel import check_n_jobs
from ..exceptions import ConfigError, DataNotFoundError
from ..features.ecg_delineate import DELINEATION_METHODS
from ..features.record_features import FeatureConfig
from ..importance.odd_regression import min_odd_regression_budget
from ..importance.regression import min_regression_budget
from ..models.lead_sets import LEAD_SETS, resolve_lead_set
from ..records import DATASETS, LabelTable


#: Every distinct lead set of the catalogue (``models.lead_sets.LEAD_SETS``), first name kept: "limb" and "cinc-6"
#: are the same six leads, and the study evaluates each distinct lead set once.
ALL_LEAD_SETS = [name for k, (name, leads) in enumerate(LEAD_SETS.items())
                 if leads not in list(LEAD_SETS.values())[:k]]

#: Study configurations shipped with the package (``ecgfeat study NAME``): name → file in ``ecgfeat/pipelines``.
NAMED_CONFIGS = {"synthetic": "synthetic.yaml", "shared-sample": "shared_sample.yaml",
                 "reference": "reference_study.yaml"}

_SOURCES = ("shared", "synthetic", "folders")
_MASKINGS = ("missing", "background")
_RETRAIN_METHODS = ("odd-regression", "regression", "permutation")


@dataclass
class StudyConfig:
    """Configuration of a study (YAML keys mirror these fields; see ``ecgfeat/pipelines/*.yaml``).

    Values are checked when the configuration is created (types, enumerations, ranges), before any work.
    """

    name: str = "study"
    source: str = "shared"  # shared | synthetic | folders
    folders: list[str] = field(default_factory=list)  # dataset folders when source == folders
    train_datasets: list[str] = field(default_factory=lambda: ["cinc2021"])
    external_datasets: list[str] = field(default_factory=lambda: ["ptb-xl"])
    synthetic_records: int = 240
    label_set: str = "study17"
    labels: list[str] = field(default_factory=list)  # empty: every label with min_positives
    min_positives: int = 8
    feature_method: str = "ecgfeat"
    feature_anchors: str = "lead"
    n_estimators: int = 300
    n_folds: int = 5
    lead_sets: list[str] = field(default_factory=lambda: list(ALL_LEAD_SETS))
    n_boot: int = 300
    importance_lead_dropout: float = 0.3
    local_rows: int = 200
    masking: str = "missing"
    retrain_labels: list[str] = field(default_factory=list)
    # Monte Carlo sampler of the retraining game: odd-regression | regression | permutation
    retrain_method: str = "odd-regression"
    retrain_evaluations: int = 150  # (odd-)regression: distinct coalitions, i.e. coalition models trained
    retrain_pairs: int = 10  # permutation: antithetic pairs
    retrain_n_estimators: int = 60  # trees of each coalition model
    retrain_learning_rate: float = 0.1  # of each coalition model (benchmarks/bench_retrain_model.py compares)
    retrain_refits: int = 32  # evaluated coalitions refitted with a second model seed: their fit-to-fit variance
    # joins the retraining game's CIs (0: intervals conditional on the fitted models)
    k_max: int = 6
    min_heldout_positives: int = 10  # labels with fewer held-out positives (or negatives) are listed, not ranked
    importance_empty_dropout: float = 0.05  # share of dropout rows with every lead missing (v(∅) = prevalence)
    background_rows: int = 20  # training records that absent leads are drawn from (background masking)
    background_game_evaluations: int = 0  # global background-masking game: 0 = all 4,096 coalitions (exact), else
    # that many distinct coalitions sampled by odd-regression (its Monte Carlo error joins the CIs)
    n_draws: int = 400  # multiplier-bootstrap draws for the CIs over held-out records
    exhaustive_up_to: int = 6
    seed: int = 0
    n_jobs: int = 2  # parallel workers; -1 = every core
    scheduler: str | None = None  # dask.distributed scheduler: features, lead-set models, retraining fits

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> "StudyConfig":
        """Raise :class:`ConfigError` naming the first invalid value; return ``self``."""
        def fail(key: str, why: str) -> None:
            raise ConfigError(f"study config {self.name!r}: {key} = {getattr(self, key)!r} {why}")

        for key, f in self.__dataclass_fields__.items():
            value = getattr(self, key)
            if f.type in ("int",) and (isinstance(value, bool) or not isinstance(value, int)):
                fail(key, "must be an integer")
            if f.type == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
                fail(key, "must be a number")
            if f.type == "str" and not isinstance(value, str):
                fail(key, "must be a string")
            if f.type == "list[str]" and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
                fail(key, "must be a list of strings")
        choices = {"source": _SOURCES, "masking": _MASKINGS, "retrain_method": _RETRAIN_METHODS,
                   "feature_method": tuple(DELINEATION_METHODS), "feature_anchors": ("lead", "consensus")}
        for key, allowed in choices.items():
            if getattr(self, key) not in allowed:
                fail(key, f"is not one of {list(allowed)}")
        minimum = {"synthetic_records": 20, "min_positives": 1, "n_estimators": 1, "n_folds": 2, "n_boot": 0,
                   "local_rows": 1, "retrain_evaluations": 0, "retrain_pairs": 0, "retrain_n_estimators": 1,
                   "retrain_refits": 0,
                   "background_game_evaluations": 0,
                   "k_max": 1, "exhaustive_up_to": 0, "seed": 0,
                   "min_heldout_positives": 2, "background_rows": 1, "n_draws": 50}
        for key, low in minimum.items():
            if getattr(self, key) < low:
                fail(key, f"must be at least {low}")
        smallest = {"regression": min_regression_budget(len(LEADS)),
                    "odd-regression": min_odd_regression_budget(len(LEADS))}
        if self.retrain_method in smallest and 0 < self.retrain_evaluations < smallest[self.retrain_method]:
            fail("retrain_evaluations", f"must be 0 (no retraining game) or at least "
                                        f"{smallest[self.retrain_method]}: the {self.retrain_method} estimator "
                                        f"needs the border coalitions and two sampled pairs of 12 leads for a "
                                        f"standard error")
        if 0 < self.background_game_evaluations < smallest["odd-regression"]:
            fail("background_game_evaluations", f"must be 0 (all coalitions, exact) or at least "
                                                f"{smallest['odd-regression']} (odd-regression's smallest budget)")
        if not 0 < self.retrain_learning_rate <= 1:
            fail("retrain_learning_rate", "must be in (0, 1]")
        for key in ("importance_lead_dropout", "importance_empty_dropout"):
            if not 0 <= getattr(self, key) < 1:
                fail(key, "must be in [0, 1)")
        try:
            FeatureConfig(self.feature_method, self.feature_anchors).validate()
        except ValueError as exc:
            raise ConfigError(f"study config {self.name!r}: feature_method/feature_anchors: {exc}") from None
        try:
            check_n_jobs(self.n_jobs)
        except ConfigError:
            fail("n_jobs", "must be -1 (every core) or a positive number of workers")
        if self.source == "folders" and not self.folders:
            fail("folders", "must name at least one dataset folder when source is 'folders'")
        if self.source != "synthetic":  # the synthetic cohort always has its planted labels
            sets = LabelTable.load().label_sets
            if self.label_set not in sets:
                fail("label_set", f"is not one of {sorted(sets)}")
            for key in ("train_datasets", "external_datasets"):
                unknown = [d for d in getattr(self, key) if d not in DATASETS]
                if unknown:
                    fail(key, f"names unknown datasets {unknown}; choose from {list(DATASETS)}")
            if not self.train_datasets:
                fail("train_datasets", "must name at least one dataset")
        if not self.lead_sets:
            fail("lead_sets", "must name at least one lead set")
        seen: dict[tuple[str, ...], str] = {}
        for name in self.lead_sets:
            try:
                leads = resolve_lead_set(name)
            except ValueError as exc:
                raise ConfigError(f"study config {self.name!r}: lead_sets: {exc}") from None
            if leads in seen:
                raise ConfigError(f"study config {self.name!r}: lead sets {seen[leads]!r} and {name!r} are the same "
                                  f"leads ({', '.join(leads)}); keep one")
            seen[leads] = name
        return self

    @classmethod
    def from_yaml(cls, path: str | Path) -> "StudyConfig":
        """Read a study YAML file (a mapping of the fields above)."""
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text())
        except FileNotFoundError:
            raise DataNotFoundError(f"study config {path} not found") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML ({exc})") from None
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: a study config is a mapping of keys to values, got {type(raw).__name__}")
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"{path}: unknown keys {sorted(unknown)}; valid keys: "
                              f"{sorted(cls.__dataclass_fields__)}")
        return cls(**raw)

    @classmethod
    def named(cls, name: str) -> "StudyConfig":
        """One of the configurations shipped with ecgfeat: 'synthetic', 'shared-sample' or 'reference'."""
        if name not in NAMED_CONFIGS:
            raise ConfigError(f"no study config named {name!r}; shipped configs: {sorted(NAMED_CONFIGS)}")
        return cls.from_yaml(named_config_path(name))

    @classmethod
    def resolve(cls, name_or_path: str | Path) -> "StudyConfig":
        """A shipped config by name (``'synthetic'``) or a YAML file by path."""
        if str(name_or_path) in NAMED_CONFIGS:
            return cls.named(str(name_or_path))
        path = Path(name_or_path)
        if not path.is_file():
            raise DataNotFoundError(f"study config {str(name_or_path)!r} is neither a file nor one of the shipped "
                                    f"configs {sorted(NAMED_CONFIGS)}")
        return cls.from_yaml(path)

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]


def named_config_path(name: str) -> Path:
    """The YAML file of a shipped study config (package data, also present in an installed wheel)."""
    return Path(str(resources.files("ecgfeat") / "pipelines" / NAMED_CONFIGS[name]))

