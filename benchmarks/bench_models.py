"""Lead-subset models on the shared CinC-2021 sample: internal 5-fold grouped CV, macro AUROC with 95 % CIs.

1. per-label boosters vs XGBoost's native multi-output (fit time, macro AUROC), same folds;
2. imbalance handling: scale_pos_weight vs random undersampling (imbalanced-learn) vs none;
3. every catalogue lead set (12-lead, 12 single leads, limb, precordial, optimal, worst, CinC 6/4/3/2);
4. one lead-dropout 12-lead model evaluated with only k leads present vs models retrained on those k leads.

    .venv/bin/python benchmarks/bench_models.py [--boot 500]

The sample has 228 records and few positives per label: CIs are wide and figures are not comparable with
full-dataset results.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _common import scored_sample

from ecgfeat.models.classifier import LeadGroupedXGBClassifier
from ecgfeat.models.lead_sets import LEAD_SETS
from ecgfeat.models.protocols import cross_validated_predictions


def macro(pred, boot: int) -> dict:
    res = pred.evaluate(n_boot=boot).set_index("label")
    m = res.loc["macro"]
    return {"macro_auroc": m.auroc, "lo": m.auroc_lo, "hi": m.auroc_hi, "macro_auprc": m.auprc,
            "macro_f1": m.f1, "fit_s": pred.fit_seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--boot", type=int, default=500)
    ap.add_argument("--out", default="artifacts/benchmarks")
    args = ap.parse_args()
    index, X, Y, folds = scored_sample(min_positives=8)
    labels = list(Y.columns)
    print(f"{len(X)} records, {X.shape[1]} features, 5 grouped folds; labels scored (>= 8 positives): "
          + ", ".join(f"{lab} {int(Y[lab].sum())}" for lab in labels))
    rows = []

    def run(section: str, name: str, est, Xe=None) -> dict:
        pred = cross_validated_predictions(est, X if Xe is None else Xe, Y, folds)
        r = {"section": section, "config": name, **macro(pred, args.boot)}
        rows.append(r)
        print(f"  {section:<10} {name:<28} AUROC {r['macro_auroc']:.3f} [{r['lo']:.3f}, {r['hi']:.3f}]  "
              f"AUPRC {r['macro_auprc']:.3f}  F1 {r['macro_f1']:.3f}  fit {r['fit_s']:.1f} s")
        return r

    print("\n1. multi-label strategy (12 leads)")
    run("strategy", "per_label", LeadGroupedXGBClassifier())
    run("strategy", "native one_output_per_tree", LeadGroupedXGBClassifier(multi_strategy="native"))
    print("\n2. imbalance handling (12 leads, per-label)")
    for imb in ("scale_pos_weight", "undersample", "none"):
        run("imbalance", imb, LeadGroupedXGBClassifier(imbalance=imb))
    print("\n3. lead sets (per-label, scale_pos_weight)")
    for name in LEAD_SETS:
        run("lead_set", name, LeadGroupedXGBClassifier(leads=name))
    print("\n4. lead dropout: one 12-lead model (p = 0.5) with only k leads present vs retrained k-lead models")

    def masked_cv(leads: tuple[str, ...], dropout: float) -> dict:
        """Fit a 12-lead model per fold; predict with only ``leads`` present (other columns NaN)."""
        proba, hard = np.full(Y.shape, np.nan), np.full(Y.shape, np.nan)
        absent = [c for c in X.columns if c.split("__")[0] not in leads]
        t0 = time.perf_counter()
        for f in np.unique(folds):
            test = folds == f
            m = LeadGroupedXGBClassifier(lead_dropout=dropout).fit(X.loc[~test], Y.loc[~test])
            Xt = X.loc[test].copy()
            Xt.loc[:, absent] = np.nan
            proba[test] = m.predict_label_proba(Xt)
            hard[test] = m.predict(Xt)
        from ecgfeat.models.protocols import Predictions

        return macro(Predictions(Y, proba, hard, time.perf_counter() - t0), args.boot)

    retrained = {r["config"]: r for r in rows if r["section"] == "lead_set"}
    for name in ("cinc-6", "cinc-4", "cinc-3", "cinc-2", "precordial", "single-II", "single-V1"):
        leads = LEAD_SETS[name]
        for dropout in (0.5, 0.0):
            r = {"section": "dropout", "config": f"{name} masked, dropout {dropout}", **masked_cv(leads, dropout)}
            rows.append(r)
            print(f"  {name:<11} masked 12-lead model, dropout {dropout}: AUROC {r['macro_auroc']:.3f} "
                  f"[{r['lo']:.3f}, {r['hi']:.3f}]   retrained {name}: {retrained[name]['macro_auroc']:.3f}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out / "models_internal_cv.csv", index=False)
    print(f"\nwrote {out / 'models_internal_cv.csv'}")


if __name__ == "__main__":
    main()
