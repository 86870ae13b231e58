"""The study end to end: the CI configuration on the shared sample, and planted-lead recovery on synthetic data."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib.image as mpimg
import pandas as pd

from ecgfeat.cli import main

PIPELINES = Path(__file__).resolve().parent.parent / "pipelines"


def test_shared_sample_study_ci_config(shared, tmp_path, capsys):
    assert main(["study", str(PIPELINES / "shared_sample.yaml"), "--artifacts", str(tmp_path), "--run-id", "ci",
                 "--quiet"]) == 0
    run = tmp_path / "ci"
    report = (run / "report.md").read_text()
    assert "## Lead Shapley values" in report and "SYNTHETIC" not in report
    for png in ("auroc_internal", "auroc_external", "auroc_difference", "lead_shapley_global", "lead_shapley_local",
                "lead_shapley_retrain", "performance_vs_k", "mc_convergence"):
        assert f"figures/{png}.png" in report
        img = mpimg.imread(run / "figures" / f"{png}.png")
        assert img.shape[0] > 100 and img.shape[1] > 100
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["versions"]["xgboost-cpu"].startswith("3.2") and set(manifest["data_hashes"]) >= {"cinc2021"}
    auc = pd.read_csv(run / "tables" / "auroc_internal.csv")
    assert set(auc.lead_set) == set(manifest["config"]["lead_sets"]) and len(manifest["config"]["lead_sets"]) == 21
    macro = auc[auc.label == "macro"].set_index("lead_set").auroc
    assert macro["12-lead"] > 0.7  # well above chance on the sample
    glob = pd.read_csv(run / "tables" / "lead_shapley_global_auroc.csv", index_col=0)
    assert list(glob.columns) == ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def test_synthetic_study_recovers_planted_leads(tmp_path):
    from ecgfeat.records.synthetic import PLANTED
    from ecgfeat.study import StudyConfig, run_study

    cfg = StudyConfig(name="syn", source="synthetic", synthetic_records=160, n_boot=50, n_folds=4,
                      lead_sets=["12-lead", "single-II", "single-V1", "single-V2", "single-V5"], local_rows=40,
                      retrain_pairs=0, k_max=2, exhaustive_up_to=2)
    run = run_study(cfg, artifacts=tmp_path, run_id="syn", progress=False)
    glob = pd.read_csv(run / "tables" / "lead_shapley_global_auroc.csv", index_col=0)
    for label, lead in PLANTED.items():
        assert glob.loc[label].idxmax() == lead, (label, glob.loc[label].sort_values().tail(3).to_dict())
    auc = pd.read_csv(run / "tables" / "auroc_internal.csv")
    single = auc[auc.scored].pivot_table(index="label", columns="lead_set", values="auroc")
    for label, lead in PLANTED.items():  # the single-lead model of the planted lead detects its condition
        assert single.loc[label, f"single-{lead}"] > 0.9
    assert "SYNTHETIC DATA" in (run / "report.md").read_text()
