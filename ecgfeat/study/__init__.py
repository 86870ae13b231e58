"""The lead-importance study end to end: data → features → models → importance → report.

``run_study(StudyConfig.from_yaml(path))`` writes ``artifacts/<run>/``: tables (CSV), figures (PNG),
``report.md``, a self-contained ``report.html`` and ``manifest.json`` (configuration, package versions, git
commit, platform, seeds, and a digest of ``data_files.sha256``, the hashes of every data file read). Features
are cached per record (content-keyed, no pickle) and retraining coalition models on disk, so a re-run reuses them; the
other steps are recomputed.
"""
from __future__ import annotations

from .config import ALL_LEAD_SETS, NAMED_CONFIGS, StudyConfig, named_config_path
from .run import redraw_report, run_study

__all__ = ["ALL_LEAD_SETS", "NAMED_CONFIGS", "StudyConfig", "named_config_path", "redraw_report", "run_study"]
