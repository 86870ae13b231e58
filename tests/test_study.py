"""The study end to end: the CI configuration on the shared sample, and planted-lead recovery on synthetic data."""
from __future__ import annotations

import json
import re

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from ecgfeat.cli import main

def test_shared_sample_study_ci_config(shared, tmp_path, capsys):
    assert main(["study", "shared-sample", "--artifacts", str(tmp_path), "--run-id", "ci", "--quiet"]) == 0
    run = tmp_path / "ci"
    report = (run / "report.md").read_text()
    assert "## Lead importance" in report and "SYNTHETIC" not in report
    imp = pd.read_csv(run / "tables" / "lead_importance.csv")
    assert list(imp.columns[:12]) == ["label", "lead", "value_function", "estimate", "ci_low", "ci_high", "mc_se",
                                      "p_top1", "p_top3", "n_pos_heldout", "n_neg_heldout", "status"]
    minimum = json.loads((run / "manifest.json").read_text())["config"]["min_heldout_positives"]
    ranked = imp[imp.status == "ranked"]
    assert (ranked.n_pos_heldout >= minimum).all() and (ranked.n_neg_heldout >= minimum).all()
    assert ((imp.n_pos_heldout < minimum) == (imp.status == "insufficient")).all()
    assert set(imp.value_function) == {"missing", "background", "retrain"}
    assert (ranked.ci_low <= ranked.estimate).all() and (ranked.estimate <= ranked.ci_high).all()
    for table in ("value_function_agreement", "lead_differences"):  # claims only about ranked labels
        claims = pd.read_csv(run / "tables" / f"{table}.csv")
        assert set(claims.label) <= set(ranked.label)
    for lab in set(imp[imp.status == "insufficient"].label):
        assert f"| {lab} |" in report and f"| {lab} | missing |" not in report
    figures = ["auroc_internal", "auroc_external", "auroc_difference", "masked_vs_retrained", "mc_convergence"]
    if len(ranked):
        figures += ["lead_importance_missing", "lead_importance_background", "performance_vs_k"]
    for png in figures:
        assert f"figures/{png}.png" in report
        img = mpimg.imread(run / "figures" / f"{png}.png")
        assert img.shape[0] > 100 and img.shape[1] > 100
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["versions"]["xgboost-cpu"].startswith("3.2") and set(manifest["data_hashes"]) >= {"cinc2021"}
    assert len(manifest["git_commit"]) >= 40 and manifest["platform"]["cpus"] >= 1
    hashed = (run / manifest["data_files"]).read_text().splitlines()
    assert any(line.endswith(".mat") for line in hashed) and any(line.endswith(".dat") for line in hashed)
    assert any(line.endswith("ptbxl_database.csv") for line in hashed)
    assert int(manifest["data_hashes"]["files"]) == len(hashed)
    html = (run / "report.html").read_text()
    assert html.count("<img") == report.count("![") and "data:image/png;base64," in html
    assert 'src="figures/' not in html  # self-contained
    curve = pd.read_csv(run / "tables" / "mc_convergence.csv")
    assert set(curve.method) == {"permutation", "regression", "odd-regression"} and curve.error.notna().all()
    best = pd.read_csv(run / "tables" / "best_lead_sets.csv")  # AUROC intervals within [0, 1] (were up to 1.11)
    assert len(best) and (best.ci_low >= 0).all() and (best.ci_high <= 1).all()
    assert ((best.ci_low <= best.value) & (best.value <= best.ci_high)).all()
    v = pd.read_csv(run / "tables" / "lead_shapley_global_v.csv", index_col=0)
    assert ((v.v_all_low <= v.v_all) & (v.v_all <= v.v_all_high)).all()
    # every lead set's macro AUROC with its interval, best first (which set leads depends on the sample's features)
    assert "Macro AUROC (internal, " in report and "95 % bootstrap CI): " in report
    assert re.search(r"[,:] 12-lead 0\.\d{3} \(0\.\d{3}–0\.\d{3}\)", report)
    auc = pd.read_csv(run / "tables" / "auroc_internal.csv")
    assert set(auc.lead_set) == set(manifest["config"]["lead_sets"]) and len(manifest["config"]["lead_sets"]) == 20
    macro = auc[auc.label == "macro"].set_index("lead_set").auroc
    assert macro["12-lead"] > 0.7  # well above chance on the sample
    glob = pd.read_csv(run / "tables" / "lead_shapley_global_auroc.csv", index_col=0)
    assert list(glob.columns) == ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def test_synthetic_study_recovers_planted_leads(tmp_path):
    from ecgfeat.records.synthetic import PLANTED
    from ecgfeat.study import StudyConfig, run_study

    cfg = StudyConfig(name="syn", source="synthetic", synthetic_records=160, n_boot=50, n_folds=4,
                      lead_sets=["12-lead", "single-II", "single-V1", "single-V2", "single-V5"], local_rows=40,
                      retrain_evaluations=0, k_max=2, exhaustive_up_to=2)
    run = run_study(cfg, artifacts=tmp_path, run_id="syn", progress=False)
    glob = pd.read_csv(run / "tables" / "lead_shapley_global_auroc.csv", index_col=0)
    for label, lead in PLANTED.items():
        assert glob.loc[label].idxmax() == lead, (label, glob.loc[label].sort_values().tail(3).to_dict())
    auc = pd.read_csv(run / "tables" / "auroc_internal.csv")
    single = auc[auc.scored].pivot_table(index="label", columns="lead_set", values="auroc")
    for label, lead in PLANTED.items():  # the single-lead model of the planted lead detects its condition
        assert single.loc[label, f"single-{lead}"] > 0.9
    assert "SYNTHETIC DATA" in (run / "report.md").read_text()


def test_step_subcommands_on_a_small_synthetic_run(tmp_path, capsys):
    """train / evaluate / importance / report on a study's own features and labels."""
    from ecgfeat.study import StudyConfig, run_study

    cfg = StudyConfig(name="steps", source="synthetic", synthetic_records=80, n_boot=20, n_folds=3,
                      lead_sets=["12-lead", "single-V1"], local_rows=10, retrain_evaluations=0, k_max=2,
                      exhaustive_up_to=1, min_positives=5)
    run = run_study(cfg, artifacts=tmp_path, run_id="steps", progress=False)
    f, lab = str(run / "features.parquet"), str(run / "labels.csv")  # written by every run
    n_train = int((pd.read_csv(lab).split == "train").sum())
    assert main(["train", "--features", f, "--labels", lab,
                 "--lead-dropout", "0.3", "--out", str(tmp_path / "model")]) == 0
    assert f"on {n_train} records of the training split" in capsys.readouterr().out
    assert main(["evaluate", "--model", str(tmp_path / "model"), "--features", f,
                 "--labels", lab, "--boot", "50", "--min-positives", "3", "--out", str(tmp_path / "e.csv")]) == 0
    assert pd.read_csv(tmp_path / "e.csv").set_index("label").loc["macro", "auroc"] > 0.8  # held-out, planted
    assert main(["importance", "--model", str(tmp_path / "model"), "--features", f,
                 "--labels", lab, "--game", "global", "--max-rows", "60",
                 "--out", str(tmp_path / "imp.csv")]) == 0
    imp = pd.read_csv(tmp_path / "imp.csv").query("label == 'RSR_V1'")
    assert imp.loc[imp.estimate.idxmax(), "lead"] == "V1" and (imp.status == "ranked").all()
    assert (run / "report.html").exists()
    (run / "figures" / "auroc_internal.png").unlink()
    assert main(["report", str(run)]) == 0
    assert (run / "figures" / "auroc_internal.png").exists()


def test_a_retraining_budget_too_small_for_its_error_is_refused_before_any_work():
    """retrain_evaluations below the sampler's smallest budget (12 leads: regression 30, odd-regression 46) gave
    infinite standard errors hours into a run; 0 (no retraining game) and the smallest budget are accepted. The
    same holds for the sampled background game."""
    from ecgfeat.exceptions import ConfigError
    from ecgfeat.study import StudyConfig

    for method, smallest in (("regression", 30), ("odd-regression", 46)):
        for bad in (1, 24, smallest - 1):
            with pytest.raises(ConfigError, match="retrain_evaluations"):
                StudyConfig(source="synthetic", retrain_method=method, retrain_evaluations=bad)
        StudyConfig(source="synthetic", retrain_method=method, retrain_evaluations=0)
        StudyConfig(source="synthetic", retrain_method=method, retrain_evaluations=smallest)
    for bad in (1, 45):
        with pytest.raises(ConfigError, match="background_game_evaluations"):
            StudyConfig(source="synthetic", background_game_evaluations=bad)
    StudyConfig(source="synthetic", background_game_evaluations=46)
    StudyConfig(source="synthetic", retrain_method="permutation", retrain_evaluations=10)  # not used by permutation


def test_retraining_learning_rate_reaches_the_coalition_models_and_their_cache_key(tmp_path):
    """retrain_learning_rate changes the retraining game's values; two runs sharing a coalition cache must not
    reuse each other's fits (the same tables would mean the rate was ignored or left out of the cache key)."""
    from ecgfeat.exceptions import ConfigError
    from ecgfeat.study import StudyConfig, run_study

    tables = []
    for rate in (0.1, 0.3):
        cfg = StudyConfig(name="lr", source="synthetic", synthetic_records=80, n_boot=20, n_folds=3,
                          lead_sets=["12-lead"], local_rows=10, n_estimators=20, retrain_labels=["RSR_V1"],
                          retrain_evaluations=46, retrain_n_estimators=10, retrain_learning_rate=rate, k_max=1,
                          exhaustive_up_to=1, min_positives=5, min_heldout_positives=5, n_draws=50, n_jobs=1)
        run = run_study(cfg, artifacts=tmp_path, run_id=f"lr{rate}", progress=False)  # one shared .cache
        tables.append(pd.read_csv(run / "tables" / "lead_shapley_retrain_auroc.csv", index_col=0))
    assert tables[0].shape == tables[1].shape
    assert not np.allclose(tables[0].to_numpy(), tables[1].to_numpy())
    for bad in (0, 1.5, -0.1):
        with pytest.raises(ConfigError, match="retrain_learning_rate"):
            StudyConfig(source="synthetic", retrain_learning_rate=bad)


def test_refitted_coalitions_put_the_fit_to_fit_variation_into_the_retraining_intervals_only(tmp_path):
    """retrain_refits > 0: the retraining rows of lead_importance.csv carry a refit SE > 0 that is part of their
    total SE, and the masked games' rows none; the estimates are those of the run without refits (the refits only
    measure the variation); retrain_refits = 0 gives refit SE 0 (intervals conditional on the fitted models)."""
    from ecgfeat.exceptions import ConfigError
    from ecgfeat.study import StudyConfig, run_study

    tables = {}
    for refits in (0, 12):
        cfg = StudyConfig(name="refit", source="synthetic", synthetic_records=80, n_boot=20, n_folds=3,
                          lead_sets=["12-lead"], local_rows=10, n_estimators=20, retrain_labels=["RSR_V1"],
                          retrain_evaluations=46, retrain_n_estimators=10, retrain_refits=refits, k_max=1,
                          exhaustive_up_to=1, min_positives=5, min_heldout_positives=5, n_draws=50, n_jobs=1)
        run = run_study(cfg, artifacts=tmp_path, run_id=f"refit{refits}", progress=False)
        tables[refits] = pd.read_csv(run / "tables" / "lead_importance.csv")
        report = (run / "report.md").read_text()
        assert ("12 of the coalitions refitted with a second model seed" in report) == bool(refits)
        assert ("The intervals are conditional on the fitted models." in report) == (not refits)
    without, with_ = tables[0], tables[12]
    retrain = with_[with_.value_function == "retrain"].dropna(subset=["estimate"])
    assert len(retrain) and (retrain.refit_se > 0).all()
    np.testing.assert_allclose(retrain.total_se ** 2,
                               retrain.data_se ** 2 + retrain.mc_se ** 2 + retrain.refit_se ** 2, rtol=1e-9)
    assert (with_.loc[with_.value_function != "retrain", "refit_se"] == 0).all()
    assert (without.refit_se.fillna(0) == 0).all()
    np.testing.assert_allclose(with_.estimate, without.estimate, equal_nan=True)
    assert (retrain.total_se.to_numpy() >= without.loc[retrain.index, "total_se"].to_numpy() - 1e-12).all()
    with pytest.raises(ConfigError, match="retrain_refits"):
        StudyConfig(source="synthetic", retrain_refits=-1)
