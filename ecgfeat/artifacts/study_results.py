"""A study's results and its run folder: what is written where, and how it is read back.

``StudyResults.to_run(folder)`` writes ``tables/*.csv`` and ``manifest.json``; ``StudyResults.from_run(folder)``
reads them back, so a report can be redrawn (``ecgfeat report RUN``) or a notebook can explore a finished run
without recomputing anything. The report (:mod:`ecgfeat.reports.study_report`) renders a ``StudyResults``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd

from ..exceptions import DataNotFoundError

TABLES_DIR = "tables"
FIGURES_DIR = "figures"
MANIFEST_FILE = "manifest.json"
REPORT_FILE = "report.md"
REPORT_HTML_FILE = "report.html"

#: field of :class:`StudyResults` → (file in ``tables/``, whether its first column is the index)
STUDY_TABLES: dict[str, tuple[str, bool]] = {
    "auroc_internal": ("auroc_internal.csv", False),
    "auroc_external": ("auroc_external.csv", False),
    "label_counts": ("label_counts.csv", True),
    "lead_importance": ("lead_importance.csv", False),
    "value_function_agreement": ("value_function_agreement.csv", False),
    "lead_differences": ("lead_differences.csv", False),
    "global_auroc": ("lead_shapley_global_auroc.csv", True),
    "global_v": ("lead_shapley_global_v.csv", True),
    "local_meanabs": ("lead_shapley_local_meanabs.csv", True),
    "local_meanabs_se": ("lead_shapley_local_meanabs_se.csv", True),
    "best_lead_sets": ("best_lead_sets.csv", False),
    "mc_convergence": ("mc_convergence.csv", False),
    "retrain_auroc": ("lead_shapley_retrain_auroc.csv", True),
    "retrain_auroc_se": ("lead_shapley_retrain_auroc_se.csv", True),
    "masked_vs_retrained": ("masked_vs_retrained.csv", False),
}


@dataclass
class StudyResults:
    """Every table a study reports, and its manifest.

    Tables (one file each in ``tables/``, see :data:`STUDY_TABLES`):
    - ``auroc_internal``, ``auroc_external``: per label and lead set, AUROC with bootstrap CI, n_pos, n (long)
    - ``label_counts``: held-out and total positives/negatives per label, and status 'ranked' / 'insufficient'
    - ``lead_importance``: label, lead, value function, estimate, CI, SEs, P(top1/3), n, status (long)
    - ``value_function_agreement``: Kendall tau between value functions per label, with CI
    - ``lead_differences``: Holm-supported pairwise lead orderings
    - ``global_auroc``, ``global_v``: labels × leads Shapley values (missing masking), and v(∅), v(all)
    - ``local_meanabs``, ``local_meanabs_se``: labels × leads mean |φ| of the probability and its SE
    - ``best_lead_sets``: best k-lead sets per label and method, with CIs
    - ``mc_convergence``: Monte Carlo error vs evaluations
    - ``retrain_auroc``, ``retrain_auroc_se``, ``masked_vs_retrained``: the retraining game (None if not run)

    ``manifest``: configuration (``config``), its digest, versions, data description (``data``), labels,
    record counts, run time (``seconds``), ``synthetic`` and the importance step's provenance (``importance``).
    """

    manifest: dict[str, Any]
    auroc_internal: pd.DataFrame
    auroc_external: pd.DataFrame
    label_counts: pd.DataFrame
    lead_importance: pd.DataFrame
    value_function_agreement: pd.DataFrame
    lead_differences: pd.DataFrame
    global_auroc: pd.DataFrame
    global_v: pd.DataFrame
    local_meanabs: pd.DataFrame
    local_meanabs_se: pd.DataFrame
    best_lead_sets: pd.DataFrame
    mc_convergence: pd.DataFrame
    retrain_auroc: pd.DataFrame | None = None
    retrain_auroc_se: pd.DataFrame | None = None
    masked_vs_retrained: pd.DataFrame | None = None

    @property
    def config(self) -> dict[str, Any]:
        return self.manifest["config"]

    def to_run(self, folder: str | Path) -> Path:
        """Write every table and the manifest into ``folder``; returns it."""
        folder = Path(folder)
        (folder / TABLES_DIR).mkdir(parents=True, exist_ok=True)
        for name, (file, indexed) in STUDY_TABLES.items():
            table = getattr(self, name)
            if table is None or (name == "auroc_external" and table.empty):
                continue
            table.to_csv(folder / TABLES_DIR / file, index=indexed)
        (folder / MANIFEST_FILE).write_text(json.dumps(self.manifest, indent=1))
        return folder

    @classmethod
    def from_run(cls, folder: str | Path) -> "StudyResults":
        """Read a run folder written by :meth:`to_run`."""
        folder = Path(folder)
        manifest = json.loads((folder / MANIFEST_FILE).read_text())
        tables: dict[str, Any] = {}
        optional = {f.name for f in fields(cls) if f.default is None} | {"auroc_external"}
        for name, (file, indexed) in STUDY_TABLES.items():
            path = folder / TABLES_DIR / file
            if not path.exists():
                if name not in optional:
                    raise DataNotFoundError(f"{path}: the run folder lacks this table (a run from an older "
                                            "ecgfeat? run the study again)")
                tables[name] = pd.DataFrame() if name == "auroc_external" else None
                continue
            tables[name] = pd.read_csv(path, index_col=0 if indexed else None)
        return cls(manifest=manifest, **tables)
