"""Tampered or damaged model folders are refused on load with a clear error (hostile-input issue, defect 8)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ecgfeat.exceptions import EcgfeatError
from ecgfeat.models.classifier import LeadGroupedXGBClassifier


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    rng = np.random.default_rng(0)
    from ecgfeat.features import feature_columns

    cols = feature_columns(("I", "II", "V1"))
    X = __import__("pandas").DataFrame(rng.normal(size=(120, len(cols))), columns=cols)
    Y = __import__("pandas").DataFrame({"A": (X["V1__qrs_dur_ms"] > 0).astype(float),
                                        "B": (X["I__r_amp_mv"] > 0.5).astype(float)})
    model = LeadGroupedXGBClassifier(n_estimators=20).fit(X, Y)
    folder = model.save(tmp_path_factory.mktemp("m") / "model")
    return folder, X


def _tamper(folder: Path, tmp_path: Path, edit) -> Path:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    edit(copy)
    return copy


def _edit_manifest(fn):
    def edit(folder: Path) -> None:
        m = json.loads((folder / "manifest.json").read_text())
        fn(m)
        (folder / "manifest.json").write_text(json.dumps(m))
    return edit


@pytest.mark.parametrize("edit, message", [
    (_edit_manifest(lambda m: m["boosters"].pop()), "edited|1 booster"),
    (_edit_manifest(lambda m: m.update(labels=m["labels"][::-1])), "edited"),
    (_edit_manifest(lambda m: m.update(feature_names_in=m["feature_names_in"][::-1])), "edited"),
    (_edit_manifest(lambda m: m.update(manifest_version=99)), "version"),
    (lambda f: (f / "booster_000.json").write_text((f / "booster_001.json").read_text()), "booster_000.json"),
    (lambda f: (f / "booster_001.json").unlink(), "booster_001.json"),
    (lambda f: (f / "manifest.json").write_text("{not json"), "not a valid"),
])
def test_tampered_model_folders_are_refused(saved, tmp_path, edit, message):
    folder, _ = saved
    copy = _tamper(folder, tmp_path, edit)
    with pytest.raises(EcgfeatError, match=message):
        LeadGroupedXGBClassifier.load(copy)


def test_one_booster_fewer_than_labels_even_with_a_recomputed_hash(saved, tmp_path):
    """The counts are checked on their own, not only through the integrity hash."""
    from ecgfeat.models import persistence

    folder, _ = saved
    copy = _tamper(folder, tmp_path, _edit_manifest(lambda m: m["boosters"].pop()))
    m = json.loads((copy / "manifest.json").read_text())
    m["integrity"] = persistence.integrity_hash(m)
    (copy / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(EcgfeatError, match="1 booster.* 2 labels"):
        LeadGroupedXGBClassifier.load(copy)


def test_a_weight_path_outside_the_model_folder_is_refused(saved, tmp_path):
    from ecgfeat.models import persistence

    folder, _ = saved
    copy = _tamper(folder, tmp_path, lambda f: None)
    m = json.loads((copy / "manifest.json").read_text())
    m["boosters"][0] = "../outside.json"
    m["weights"] = {"../outside.json": "0" * 64, **{k: v for k, v in m["weights"].items() if k != "booster_000.json"}}
    m["integrity"] = persistence.integrity_hash(m)
    (copy / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(EcgfeatError, match="not a plain file name"):
        LeadGroupedXGBClassifier.load(copy)


def test_an_intact_folder_loads_and_predicts_identically(saved):
    folder, X = saved
    back = LeadGroupedXGBClassifier.load(folder)
    assert back.predict_label_proba(X).shape == (len(X), 2)
