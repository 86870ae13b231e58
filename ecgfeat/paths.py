"""Where shared data lives: ``$ECGFEAT_SHARED`` or ``../shared`` next to the project."""
from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "ECGFEAT_SHARED"


def shared_dir() -> Path:
    """Return the shared data folder (``$ECGFEAT_SHARED``, default ``<project>/../shared``)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    project = Path(__file__).resolve().parent.parent
    candidate = project.parent / "shared"
    if not candidate.is_dir():  # installed outside a checkout: relative to the working folder
        candidate = Path.cwd().parent / "shared"
    return candidate.resolve()
