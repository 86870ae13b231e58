"""Lead Shapley benchmarks (figures printed; baselines measured in the same run).

1. Exact lead Shapley (4,096 coalitions) for one model on 1,000 records, local game, 'missing' masking:
   wall time on this machine (target < 30 s).
2. Error vs value-function evaluations, ecgfeat's antithetic sampler (memoised coalitions) vs shap's
   PermutationExplainer with the same lead masker, on the same rows; evaluations each needs to reach 1 % error
   (max |φ̂ − φ| / |v(all) − v(∅)| per row, mean over rows and seeds) and the ratio.
3. Retraining value function on the shared CinC-2021 sample: wall time and coalition-cache hit rate for 100
   permutations (50 antithetic pairs), cold and then warm.

    .venv/bin/python benchmarks/bench_importance.py [--skip-retrain]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shap

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ecgfeat.importance import MaskedModelGame, RetrainGame, exact_shapley, permutation_shapley  # noqa: E402
from ecgfeat.importance.shap_bridge import LeadMasker  # noqa: E402
from ecgfeat.models.classifier import LeadGroupedXGBClassifier  # noqa: E402
from ecgfeat.models.synthetic import make_lead_cohort  # noqa: E402


def bench_exact(n_rows: int = 1000) -> None:
    X, Y = make_lead_cohort(3000, n_features_per_lead=31, n_labels=3, signal_leads=("V1", "II"), random_state=0)
    model = LeadGroupedXGBClassifier(lead_dropout=0.3, n_jobs=2).fit(X, Y)
    trees = [b + 1 for b in model.best_iterations_]
    rows = X.iloc[:n_rows]
    t0 = time.perf_counter()
    res = exact_shapley(MaskedModelGame(model.predict_label_proba, rows, model.lead_groups_, outputs=model.labels_))
    dt = time.perf_counter() - t0
    print(f"1. exact lead Shapley, {n_rows} records x 12 leads x {len(model.labels_)} labels "
          f"({X.shape[1]} features, trees per label {trees}): {dt:.1f} s for 4,096 coalitions "
          f"({4096 * n_rows / dt / 1e6:.2f} M masked rows/s); max |efficiency gap| "
          f"{np.abs(res.efficiency_gap()).max():.1e}; top lead per label: "
          + ", ".join(res.ranking(k)[0] for k in range(len(model.labels_))))


def bench_sampler(n_rows: int = 10, seeds: int = 5) -> None:
    X, Y = make_lead_cohort(1500, n_features_per_lead=8, n_labels=1, signal_leads=("V1", "V5", "II"),
                            random_state=1)
    model = LeadGroupedXGBClassifier(lead_dropout=0.3).fit(X, Y)
    rows = X.iloc[:n_rows]
    f = lambda Z: model.predict_label_proba(Z)[:, 0]  # noqa: E731
    game = MaskedModelGame(f, rows, model.lead_groups_)
    exact = exact_shapley(game)
    scale = np.abs(exact.full_values - exact.base_values)[:, 0]

    def err(values: np.ndarray) -> float:
        return float(np.mean(np.abs(values - exact.values[:, :, 0]).max(axis=1) / scale))

    print(f"\n2. error vs evaluations ({n_rows} records, 12 leads, mean over {seeds} seeds; error = max over leads "
          "of |estimate - exact| / |v(all) - v(none)|)")
    print(f"{'budget':>8}{'ecgfeat evals':>15}{'ecgfeat error':>15}{'shap evals':>12}{'shap error':>12}")
    need = {"ecgfeat": None, "shap": None}
    for budget in (52, 104, 208, 416, 832, 1664, 3328, 6656):
        e_ours, n_ours, e_shap = [], [], []
        for seed in range(seeds):
            pairs = max(1, budget // 26)
            mc = permutation_shapley(game, random_state=seed, tol=0.0, max_pairs=pairs, min_pairs=pairs,
                                     batch_pairs=pairs)
            e_ours.append(err(mc.values[:, :, 0]))
            n_ours.append(mc.n_evaluations)
            expl = shap.PermutationExplainer(f, LeadMasker(model.lead_groups_), seed=seed)
            sv = expl(rows.to_numpy(), max_evals=budget, silent=True)
            e_shap.append(err(sv.values))
        eo, no, es = np.mean(e_ours), np.mean(n_ours), np.mean(e_shap)
        print(f"{budget:>8}{no:>15.0f}{eo:>15.4f}{budget:>12}{es:>12.4f}")
        if need["ecgfeat"] is None and eo <= 0.01:
            need["ecgfeat"] = no
        if need["shap"] is None and es <= 0.01:
            need["shap"] = budget
    if need["ecgfeat"] and need["shap"]:
        print(f"evaluations to reach 1 % error: ecgfeat {need['ecgfeat']:.0f}, shap PermutationExplainer "
              f"{need['shap']} -> {need['shap'] / need['ecgfeat']:.1f}x fewer")
    else:
        print(f"evaluations to reach 1 % error: {need} (None = not reached within 6,656)")


def bench_retrain() -> None:
    from _common import sample_features

    from ecgfeat.records.splits import assign_folds, split_by_folds

    index, X, Y = sample_features()
    Y = Y[["SR", "AFIB", "STach"]]
    folds = assign_folds(index, Y, n_folds=5, random_state=0)
    test = folds == 5
    groups = LeadGroupedXGBClassifier().fit(X.iloc[:20], Y.iloc[:20].fillna(0)).lead_groups_
    make = lambda leads: LeadGroupedXGBClassifier(leads=leads, n_estimators=60,  # noqa: E731
                                                  early_stopping_rounds=None)
    with tempfile.TemporaryDirectory() as cache:
        for run in ("cold", "warm"):
            game = RetrainGame(make, X.loc[~test], Y.loc[~test], X.loc[test], Y.loc[test], groups,
                               config={"n_estimators": 60}, cache_dir=cache, n_jobs=2)
            t0 = time.perf_counter()
            res = permutation_shapley(game, random_state=0, tol=0.0, max_pairs=50, min_pairs=50, batch_pairs=10)
            dt = time.perf_counter() - t0
            looked_up = game.fits + game.hits
            print(f"3. retraining game, 100 permutations ({run} cache): {dt:.1f} s, {game.fits} models fitted, "
                  f"{game.hits} served from the disk cache ({game.hits / max(looked_up, 1):.0%} of look-ups); "
                  f"{res.n_evaluations} distinct coalitions (of 4,096) met by 1,300 permutation steps; "
                  f"top lead SR {res.ranking('SR')[0]}, AFIB {res.ranking('AFIB')[0]}, "
                  f"STach {res.ranking('STach')[0]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-retrain", action="store_true")
    args = ap.parse_args()
    bench_exact()
    bench_sampler()
    if not args.skip_retrain:
        print()
        bench_retrain()


if __name__ == "__main__":
    main()
