"""Reliability of the rank probabilities P(top 1) and P(top 3) on labels that leads do predict.

``bench_small_sample_tests.py`` checks P(top 1) on a null label, where every lead ties. Here the question is the
one a reader of ``tables/lead_importance.csv`` asks: when ecgfeat says a lead is the top lead with probability p,
how often is it? Each replication simulates a cohort (``ecgfeat.importance.simulation``, six lead groups), holds
out 20 %, fits the study's importance model, and values held-out AUROC under missing and background masking by
exact enumeration with the study's multiplier-bootstrap draws (``exact_global_draws``; rank probabilities from
its multivariate t draws, as shipped). The truth is the population Shapley value of the same fitted model
(:func:`~ecgfeat.importance.exact.exact_shapley` on an independent sample: ``--truth-records`` rows for missing
masking, a tenth of them for background masking, which costs 16× per row); a lead is truly top 1 (top 3) when its
population value ranks first (in the first three) for the label.

Labels:
- ``redundant``: II and aVF carry the same signal and V5 a weaker one; which twin a fitted model leans on varies, so
  P(top 1) between the twins is the hard case;
- ``planted``: V2 alone. Its top lead is certain. Its top 3 is V2 and two of five leads whose population values
  are about ±0.001 AUROC, as large as the population sample's own error: the truth is a tie, so that event is
  printed but left out of the last line. Between tied leads bootstrap rank probabilities spread over 0-1 (Hall &
  Miller 2009, "Using the bootstrap to quantify the authority of an empirical ranking", *Ann. Statist.* 37:3929),
  which is why ``p_top3`` of leads whose interval contains 0 says nothing.

Printed per value function, label and event: a reliability table (predicted probability in fixed bins, the share
of those leads that are truly top, its Wilson 95 % interval, and n), the Brier score against that of always
predicting the event's base rate, and the rate at which a lead shown with P >= 0.95 is not truly top (target: at
most 0.05) and a lead shown with P <= 0.05 is (target: at most 0.05). Seeds 30,000 + k. The last line reads
``confident_wrong_max=<x> dismissed_right_max=<x> brier_skill_min=<x> replications=<n>`` over the events whose
truth is not a tie.

    .venv/bin/python benchmarks/bench_rank_probabilities.py [--records 2000] [--replications 200] [--n-jobs 2]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import simulated_cohort_model  # noqa: E402

from ecgfeat._random import stream_seeds  # noqa: E402
from ecgfeat.importance import GlobalScoreGame, exact_shapley  # noqa: E402
from ecgfeat.importance.inference import exact_global_draws, multiplier_weights  # noqa: E402
from ecgfeat.importance.simulation import CohortDesign, simulate_lead_cohort  # noqa: E402
from ecgfeat.study.calibration import wilson_interval  # noqa: E402

SEED_BASE = 30_000
LABELS = ("redundant", "planted")
#: predicted-probability bins of the reliability table (right-closed, the first also closed on the left)
BINS = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
#: the event whose truth is a tie (planted label, top 3: two of five leads worth ~0), for every value function
TIED_TRUTH = ("planted", "top3")


def replicate(k: int, n_records: int, truth_records: int = 100_000, n_draws: int = 400) -> pd.DataFrame:
    """One replication: per value function, label and lead, P(top 1), P(top 3) and whether the lead is top 1 /
    top 3 by its population value."""
    seeds = stream_seeds(SEED_BASE + k, ("cohort", "population", "split", "background", "model", "multipliers"))
    X, Y, test, model = simulated_cohort_model(n_records, seeds["cohort"], seeds["split"], seeds["model"])
    X_pop, Y_pop = simulate_lead_cohort(truth_records, CohortDesign(), random_state=seeds["population"])
    xi = multiplier_weights(int(test.sum()), n_draws, random_state=seeds["multipliers"])
    rng = np.random.default_rng(seeds["background"])
    frames = []
    for vf in ("missing", "background"):
        bg = X[~test].iloc[rng.choice(int((~test).sum()), 16, replace=False)].to_numpy() if vf == "background" \
            else None
        game = GlobalScoreGame(model.predict_label_proba, X[test], Y[test], model.lead_groups_, masking=vf,
                               background=bg, score="auroc", empty_output=model.priors_)
        table = exact_global_draws(game, xi, value_function=vf).summary()
        n_pop = truth_records if vf == "missing" else truth_records // 10
        population = GlobalScoreGame(model.predict_label_proba, X_pop.iloc[:n_pop], Y_pop.iloc[:n_pop],
                                     model.lead_groups_, masking=vf, background=bg, score="auroc",
                                     empty_output=model.priors_)
        truth = pd.DataFrame(exact_shapley(population).values[0], index=model.lead_groups_.names, columns=Y.columns)
        true_rank = (-truth).rank(axis=0, method="first") - 1  # 0 = top
        table = table[table.label.isin(LABELS)].copy()
        rank = np.array([true_rank.at[lead, label] for lead, label in zip(table.lead, table.label)])
        table["true_top1"], table["true_top3"] = rank == 0, rank < 3
        table["replication"] = k
        frames.append(table[["replication", "value_function", "label", "lead", "p_top1", "p_top3", "true_top1",
                             "true_top3"]])
    return pd.concat(frames, ignore_index=True)


def reliability(rows: pd.DataFrame) -> pd.DataFrame:
    """Per value function, label, event (top1, top3) and predicted-probability bin: n, mean predicted probability,
    the observed share truly top, and its Wilson interval."""
    parts = []
    for event in ("top1", "top3"):
        p, hit = rows[f"p_{event}"], rows[f"true_{event}"].astype(float)
        binned = pd.cut(p, BINS, include_lowest=True)
        g = pd.DataFrame({"value_function": rows.value_function, "label": rows.label, "event": event,
                          "bin": binned, "p": p, "hit": hit})
        agg = g.groupby(["value_function", "label", "event", "bin"], observed=True).agg(
            n=("hit", "size"), predicted=("p", "mean"), hits=("hit", "sum"))
        low, high = zip(*(wilson_interval(int(k), int(m)) for k, m in zip(agg.hits, agg.n)))
        parts.append(agg.assign(observed=agg.hits / agg.n, observed_low=low, observed_high=high).drop(columns="hits"))
    return pd.concat(parts).sort_index()


def scores(rows: pd.DataFrame) -> pd.DataFrame:
    """Per value function, label and event: Brier score, that of the event's base rate, skill (1 − ratio), and the
    confident-wrong and dismissed-right rates with their counts."""
    out = []
    long = pd.concat([rows.assign(event=e) for e in ("top1", "top3")])
    for (vf, label, event), g in long.groupby(["value_function", "label", "event"]):
        p, hit = g[f"p_{event}"].to_numpy(), g[f"true_{event}"].to_numpy(float)
        brier, base = np.mean((p - hit) ** 2), np.mean((hit.mean() - hit) ** 2)
        confident, dismissed = p >= 0.95, p <= 0.05
        out.append({"value_function": vf, "label": label, "event": event, "brier": brier,
                    "brier_base_rate": base, "brier_skill": 1 - brier / base if base > 0 else np.nan,
                    "n_confident": int(confident.sum()),
                    "confident_wrong": float(1 - hit[confident].mean()) if confident.any() else np.nan,
                    "n_dismissed": int(dismissed.sum()),
                    "dismissed_right": float(hit[dismissed].mean()) if dismissed.any() else np.nan})
    return pd.DataFrame(out).set_index(["value_function", "label", "event"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--replications", type=int, default=200)
    ap.add_argument("--truth-records", type=int, default=100_000)
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = pd.concat(Parallel(n_jobs=args.n_jobs)(delayed(replicate)(k, args.records, args.truth_records)
                                                  for k in range(args.replications)), ignore_index=True)
    print(f"{args.records} records, 20 % held out, labels {', '.join(LABELS)}, 6 leads, {args.replications} "
          f"replications, truth on {args.truth_records} (missing) / {args.truth_records // 10} (background) "
          f"population rows; {time.perf_counter() - t0:.0f} s wall")
    with pd.option_context("display.width", 160):
        print("\nreliability: leads binned by the predicted probability; observed = share truly top 1 / top 3")
        print(reliability(rows).round(3).to_string())
        s = scores(rows)
        print("\nBrier score against the base rate's; confident_wrong: share of leads shown with P >= 0.95 that are "
              "not truly top; dismissed_right: share shown with P <= 0.05 that are")
        print(s.round(4).to_string())
    labels, events = s.index.get_level_values("label"), s.index.get_level_values("event")
    s = s[~((labels == TIED_TRUTH[0]) & (events == TIED_TRUTH[1]))]  # a tie in truth: nothing to calibrate against
    print(f"(headline without {TIED_TRUTH[0]} {TIED_TRUTH[1]}, whose truth is a tie) "
          f"confident_wrong_max={s.confident_wrong.max():.3f} dismissed_right_max={s.dismissed_right.max():.3f} "
          f"brier_skill_min={s.brier_skill.min():.3f} replications={args.replications}")


if __name__ == "__main__":
    main()
