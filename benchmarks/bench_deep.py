"""XGBoost on per-lead features vs raw-signal deep models (Attia-style CNN, 1D XResNet) on the same records,
grouped folds, harmonised labels and lead sets; and the agreement of their lead Shapley rankings.

CPU-sized configuration (default): shared CinC-2021 sample, 100 Hz, 10 s, 5 folds, 12 epochs, width 32,
lead sets 12-lead, limb and single-II (the Attia CNN costs ~3 s per epoch on 180 records on 2 cores).
Full configuration (documented, GPU advised): ``--rate 250 --epochs 60 --width 64`` on a full download.

    .venv/bin/python benchmarks/bench_deep.py [--lead-sets 12-lead,limb,single-II] [--epochs 12]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from _common import scored_sample

from ecgfeat.importance import GlobalScoreGame, exact_shapley, permutation_shapley
from ecgfeat.models.classifier import LeadGroupedXGBClassifier
from ecgfeat.models.deep import DeepECGClassifier, flat_predict, prepare_signals, signal_lead_groups
from ecgfeat.models.metrics import evaluate_labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lead-sets", default="12-lead,limb,single-II")
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--boot", type=int, default=300)
    ap.add_argument("--out", default="artifacts/benchmarks")
    args = ap.parse_args()
    index, X, Y, folds = scored_sample(min_positives=10)
    labels = list(Y.columns)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        S = np.array(prepare_signals(index, args.rate, 10.0, out=Path(tmp) / "signals.npy"))
    print(f"{len(index)} records; labels (>= 10 positives): {', '.join(labels)}; signals {S.shape} prepared in "
          f"{time.perf_counter() - t0:.1f} s")
    makers = {
        "xgboost-features": lambda leads: LeadGroupedXGBClassifier(leads=leads),
        "attia-cnn": lambda leads: DeepECGClassifier("attia", leads, epochs=args.epochs, width=args.width,
                                                     sampling_rate=args.rate),
        "xresnet1d": lambda leads: DeepECGClassifier("xresnet1d", leads, epochs=args.epochs, width=args.width,
                                                     sampling_rate=args.rate),
    }
    rows = []
    print(f"\n{'lead set':<12}{'model':<18}{'macro AUROC [95% CI]':<26}{'train s':>9}{'infer ms/rec':>13}{'size KB':>9}")
    for lead_set in args.lead_sets.split(","):
        for name, make in makers.items():
            proba = np.full(Y.shape, np.nan)
            fit_s = infer_s = 0.0
            size = 0
            for f in np.unique(folds):
                test = folds == f
                m = make(lead_set)
                inputs = X if name.startswith("xgboost") else S
                t = time.perf_counter()
                m.fit(inputs[~test] if name.startswith("xgboost") else inputs[~test], Y[~test])
                fit_s += time.perf_counter() - t
                t = time.perf_counter()
                proba[test] = m.predict_label_proba(inputs[test])
                infer_s += time.perf_counter() - t
                with tempfile.TemporaryDirectory() as tmp:
                    m.save(Path(tmp) / "m")
                    size = sum(p.stat().st_size for p in (Path(tmp) / "m").iterdir())
            res = evaluate_labels(Y, proba, labels=labels, n_boot=args.boot).set_index("label").loc["macro"]
            rows.append({"lead_set": lead_set, "model": name, "macro_auroc": res.auroc, "lo": res.auroc_lo,
                         "hi": res.auroc_hi, "train_s": fit_s, "infer_ms_per_record": 1000 * infer_s / len(Y),
                         "size_kb": size / 1024})
            r = rows[-1]
            print(f"{lead_set:<12}{name:<18}{r['macro_auroc']:.3f} [{r['lo']:.3f}, {r['hi']:.3f}]      "
                  f"{r['train_s']:>9.1f}{r['infer_ms_per_record']:>13.2f}{r['size_kb']:>9.0f}")
    # lead Shapley rankings (global AUROC game on the held-out fold) and their agreement
    test = folds == 5
    xgb = LeadGroupedXGBClassifier(lead_dropout=0.3).fit(X[~test], Y[~test])
    g_xgb = exact_shapley(GlobalScoreGame(xgb.predict_label_proba, X[test], Y[test], xgb.lead_groups_,
                                          score="auroc", outputs=labels))
    n_t = S.shape[2]
    print("\nlead Shapley (held-out AUROC game) rank agreement with the feature model, Kendall tau per label:")
    out_rank = []
    for arch in ("attia", "xresnet1d"):
        deep = DeepECGClassifier(arch, "12-lead", epochs=args.epochs, width=args.width, sampling_rate=args.rate)
        # lead dropout for deep models: train on copies with random leads zeroed, as for the feature model
        rng = np.random.default_rng(0)
        S_tr = np.concatenate([S[~test], S[~test] * (rng.random((int((~test).sum()), 12, 1)) >= 0.3)])
        deep.fit(S_tr, pd.concat([Y[~test]] * 2, ignore_index=True))
        game = GlobalScoreGame(flat_predict(deep, n_t), S[test].reshape(int(test.sum()), -1), Y[test],
                               signal_lead_groups(n_t), score="auroc", outputs=labels, batch_rows=20_000)
        g_deep = permutation_shapley(game, random_state=0, tol=0.0, max_pairs=24, min_pairs=24)
        taus = []
        for k, lab in enumerate(labels):
            tau = kendalltau(g_xgb.values[0, :, k], g_deep.values[0, :, k]).statistic
            taus.append(tau)
            out_rank.append({"model": arch, "label": lab, "kendall_tau": tau,
                             "xgb_top3": ",".join(g_xgb.ranking(k)[:3]), "deep_top3": ",".join(g_deep.ranking(k)[:3])})
        print(f"  {arch:<10} " + ", ".join(f"{lab} {t:+.2f}" for lab, t in zip(labels, taus))
              + f"  (mean {np.nanmean(taus):+.2f}; {g_deep.n_evaluations} coalitions, MC 48 permutations)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out / "deep_vs_xgboost.csv", index=False)
    pd.DataFrame(out_rank).to_csv(out / "deep_vs_xgboost_rankings.csv", index=False)
    print(f"\nwrote {out}/deep_vs_xgboost.csv and deep_vs_xgboost_rankings.csv. Caveat: 228 records, few "
          "positives per label; CIs are wide and the deep models are far from their data-rich regime.")


if __name__ == "__main__":
    main()
