"""The intended layering, checked by import-linter: records → features → models | importance → artifacts →
reports → study → cli, with exceptions and small helpers at the bottom (contract in setup.cfg)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contract_is_kept():
    out = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                          "sys.exit(lint_imports_command())", "--config", str(ROOT / "setup.cfg")],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "1 kept, 0 broken" in out.stdout


def test_importance_and_models_score_with_one_auroc():
    from ecgfeat import scoring
    from ecgfeat.models import metrics

    assert metrics.auroc is scoring.auroc
