"""Model folders: one versioned manifest format for every model kind, with the hash of each weight file.

``manifest.json`` holds ``manifest_version``, ``estimator``, the estimator's own fields, ``weights`` (file name →
sha256) and ``integrity``, a sha256 of everything else in the manifest. :func:`read_manifest` refuses a folder
whose manifest was edited after it was saved, whose weight files changed, are missing, or are not plain files
inside the folder. No pickle is ever written or read.
"""
from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path

import numpy as np
import sklearn

from .._hashing import file_sha256
from ..exceptions import InvalidModelError, InvalidRecordError
from ..records.files import check_file_name

MANIFEST_VERSION = 2
MAX_MANIFEST_BYTES = 64 << 20


def package_versions(**libraries: str) -> dict[str, str]:
    """Versions recorded in every manifest: numpy, scikit-learn, Python, and the model library's (``libraries``)."""
    return {**libraries, "scikit-learn": sklearn.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def integrity_hash(manifest: dict) -> str:
    """sha256 of the manifest without its ``integrity`` field (canonical JSON)."""
    body = {k: v for k, v in manifest.items() if k != "integrity"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def write_manifest(folder: Path, estimator: str, fields: dict, weight_files: list[str]) -> Path:
    """Write ``folder/manifest.json`` for weight files already saved in ``folder``."""
    manifest = {"manifest_version": MANIFEST_VERSION, "estimator": estimator, **fields,
                "weights": {name: file_sha256(folder / name) for name in weight_files}}
    manifest["integrity"] = integrity_hash(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return folder / "manifest.json"


def weight_path(folder: Path, name: str) -> Path:
    """The path of a weight file named in a manifest: a plain file name inside ``folder``."""
    try:
        check_file_name("model", name)
    except InvalidRecordError:
        raise InvalidModelError(f"{folder}: weight file {name!r} is not a plain file name in the model folder") \
            from None
    path = folder / name
    if path.is_symlink() or not path.resolve().is_relative_to(folder.resolve()):
        raise InvalidModelError(f"{folder}: weight file {name} is a link out of the model folder")
    return path


def read_manifest(folder: str | Path, estimator: str) -> dict:
    """The checked manifest of a model folder written by :func:`write_manifest` for ``estimator``."""
    folder = Path(folder)
    path = folder / "manifest.json"
    if not path.is_file():
        raise InvalidModelError(f"{folder} is not a model folder (no manifest.json)")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise InvalidModelError(f"{path} is larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidModelError(f"{path} is not a valid manifest ({exc})") from None
    if not isinstance(manifest, dict):
        raise InvalidModelError(f"{path} is not a valid manifest (not a JSON object)")
    version = manifest.get("manifest_version")
    if version != MANIFEST_VERSION:
        raise InvalidModelError(f"{folder}: manifest version {version!r}, this ecgfeat reads version "
                                f"{MANIFEST_VERSION}; re-train or re-save the model")
    if manifest.get("estimator") != estimator:
        raise InvalidModelError(f"{folder}: a {manifest.get('estimator')!r} model, not a {estimator}")
    if manifest.get("integrity") != integrity_hash(manifest):
        raise InvalidModelError(f"{path} was edited after the model was saved (integrity hash mismatch); refused")
    weights = manifest.get("weights")
    if not isinstance(weights, dict):
        raise InvalidModelError(f"{path} lists no weight files")
    for name, digest in weights.items():
        p = weight_path(folder, name)
        if not p.is_file():
            raise InvalidModelError(f"{folder}: weight file {name} is missing")
        if file_sha256(p) != digest:
            raise InvalidModelError(f"{folder}: weight file {name} does not match its hash in the manifest "
                                    "(changed after saving)")
    return manifest
