"""Does a faster coalition model change the retraining game's lead rankings?

The reference study's retraining game fits one XGBoost model per sampled lead coalition (150 trees at learning
rate 0.2 since 2026-12, 300 at 0.1 before); at the full size it is the study's dearest step. This benchmark values the same game twice on a
rehearsal of N records (``benchmarks/rehearsal.py``) with the study's sampler (odd-regression, seed 0, ``--budget``
coalitions: both arms evaluate exactly the same coalitions):

- arm ``study``: the reference configuration's coalition model;
- arm ``fast``: ``--fast-trees`` trees at ``--fast-rate`` (default 100 at 0.3), model seed ``--fast-seed``.

The yardstick for any change is the study's own model refitted with another seed (``--fast-trees 150 --fast-rate
0.2 --fast-seed 1``; ``--study-trees``/``--study-rate`` replace the study arm's model, e.g. 300 at 0.1 to repeat
the measurements that chose 150 at 0.2): XGBoost's row and column subsampling make each coalition's held-out score vary from fit to
fit. As in the study (``retrain_refits``), ``--refits`` of each arm's coalitions are refitted with a second model
seed to measure that variation.

Shapley values are linear in the game, so the change of each lead's value is the Shapley value of the difference
game v_fast − v_study, estimated with the same sampler on the same coalitions; its 95 % interval adds the data
uncertainty (multiplier bootstrap over the held-out records, the same multipliers for both arms: paired), the
Monte Carlo error of the difference, and both arms' fit-to-fit variation. Per label with enough held-out positives
to be ranked it prints:

- held-out AUROC of the 12-lead coalition model in each arm;
- the largest |Δφ| over the leads, and as a multiple of the study arm's own total standard error;
- leads whose Δφ interval excludes 0 (Holm over the label's 12 leads);
- Kendall τ of the two rankings; whether the top lead and the top-3 set are the same;
- the study arm's supported pairwise orderings (Holm, α 0.05) that the fast arm loses or reverses;
- the rms of Δφ / its SE over the leads (about 1 when the change is only the noise the intervals allow);

then, per label, the fit noise: SD of v_fast − v_study over all coalitions (over √2), each arm's refit estimate
of it, and its correlation between coalitions that differ by one lead (the intervals assume 0).

and the wall time of each arm's fits (ratio fast : study, measured in this run). Run:

    .venv/bin/python benchmarks/bench_retrain_model.py --records 4000 [--budget 512] [--n-jobs 2]

The rehearsal's records are variations of the shared sample's 228 real ECGs: with the study's split (``--split
folds``, held-out = its last fold) held-out records have relatives in training and nearly every AUROC is 1. The
default ``--split source`` holds out every record of a random ``--heldout`` share of the source ECGs
(``sources.csv``), so the games are scored on ECGs the models never saw in any variation. Its intervals still
treat held-out records as independent, though relatives cluster: they are too narrow, which makes the benchmark
find changes more easily, not less. Tables go to ``--out``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import kendalltau, norm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import reference_config  # noqa: E402
from rehearsal import SOURCES_FILE, RehearsalSpec, build_rehearsal  # noqa: E402

from ecgfeat.importance import RetrainGame, odd_regression_shapley  # noqa: E402
from ecgfeat.importance.inference import TableGame, holm, multiplier_weights, replayed_draws  # noqa: E402
from ecgfeat.features.lead_groups import LeadGroups  # noqa: E402
from ecgfeat.models.lead_sets import LeadSubsetSelector  # noqa: E402
from ecgfeat.models.metrics import scorable_labels  # noqa: E402
from ecgfeat.records.splits import assign_folds  # noqa: E402
from ecgfeat.study.data import load_data  # noqa: E402
from ecgfeat._random import stream_seeds  # noqa: E402
from ecgfeat.study.importance_step import (IMPORTANCE_STREAMS, coalition_model_maker,  # noqa: E402
                                           coalition_refit_variance)


def lead_groups(X: pd.DataFrame) -> LeadGroups:
    """The 12 leads as players, as the study's 12-lead importance model groups its columns (no 'global' group)."""
    support = LeadSubsetSelector("12-lead").fit(pd.DataFrame(columns=list(X.columns))).support_
    return LeadGroups.from_columns(list(X.columns[support]))


def heldout_by_source(source: pd.Series, share: float, seed: int) -> np.ndarray:
    """Held-out mask: whole sources in random order until ``share`` of the records are held out."""
    counts = source.value_counts().sort_index()
    order = np.random.default_rng(seed).permutation(len(counts))
    taken = counts.index[order][np.cumsum(counts.to_numpy()[order]) <= share * len(source)]
    return source.isin(set(taken)).to_numpy()


def value_arm(name: str, trees: int, rate: float, data: dict, budget: int, seed: int, n_jobs: int, xi, cache: Path,
              model_seed: int | None = None, refits: int = 0):
    """The retraining game with the study's coalition model at ``trees`` and ``rate`` (``model_seed``: its row and
    column subsampling, default ``seed``; the sampler always uses ``seed``), and, as the study does, ``refits`` of
    its coalitions refitted with a second model seed for the fit-to-fit variance. Returns a dict: the estimate
    (``result``), the coalitions' ``values`` and per-record ``contrib``, the multiplier ``draws`` (with refit
    draws), the ``refit`` variance, the replayable ``estimate``, wall ``seconds`` and ``fits`` (first fits only),
    ``players`` and ``outputs``."""
    model_seed = seed if model_seed is None else model_seed
    make, config = coalition_model_maker(trees, rate, model_seed)
    game = RetrainGame(make, data["X_train"], data["Y_train"], data["X_test"], data["Y_test"], data["groups"],
                       config=config, cache_dir=cache, n_jobs=n_jobs, progress=True)
    estimate = lambda g: odd_regression_shapley(g, random_state=seed, tol=0.0, max_evaluations=budget)  # noqa
    t0 = time.perf_counter()
    res = estimate(game)
    seconds = time.perf_counter() - t0
    values, contrib = game.record_contributions()
    # the study's refit seeds for model seed ``seed``; another model seed gets its own second seed
    streams, study_streams = stream_seeds(model_seed, IMPORTANCE_STREAMS), stream_seeds(seed, IMPORTANCE_STREAMS)
    refit = coalition_refit_variance(game, values, refits, trees, rate, streams["refit_model"],
                                     study_streams["refit_coalitions"])
    draws = replayed_draws(estimate, res, values, contrib, xi, game.players, game.outputs, name, refit=refit,
                           refit_seed=streams["refit_noise"])
    print(f"arm {name}: {trees} trees at learning rate {rate}, model seed {model_seed}: {game.fits} fits "
          f"({game.hits} from cache) in {seconds:.0f} s; {refit[1] if refit else 0} coalitions refitted",
          flush=True)
    return {"result": res, "values": values, "contrib": contrib, "draws": draws, "seconds": seconds,
            "fits": game.fits, "estimate": estimate, "players": game.players, "outputs": game.outputs,
            "refit": refit}


def difference_draws(study: dict, fast: dict, xi, refit_seed: int = 0):
    """Shapley values of the difference game v_fast − v_study on the coalitions both arms evaluated, with the
    paired data draws, the Monte Carlo error of the difference and, when both arms measured it, the fit-to-fit
    variation of both (independent fits: their variances add)."""
    codes = sorted(study["values"])
    if codes != sorted(fast["values"]):
        raise RuntimeError("the two arms evaluated different coalitions")
    values = {c: fast["values"][c] - study["values"][c] for c in codes}
    contrib = {c: fast["contrib"][c] - study["contrib"][c] for c in codes}
    estimate = study["estimate"]
    res = estimate(TableGame(study["players"], study["outputs"], {c: v.reshape(1, -1) for c, v in values.items()}))
    linear = np.abs(res.values[0] - (fast["result"].values[0] - study["result"].values[0])).max()
    if linear > 1e-9:  # the sampler's estimate is linear in the game's values for fixed coalitions
        raise RuntimeError(f"difference game and difference of estimates disagree by {linear:.2e}")
    a, b = study.get("refit"), fast.get("refit")
    refit = (a[0] + b[0], min(a[1], b[1])) if a is not None and b is not None else None
    return replayed_draws(estimate, res, values, contrib, xi, study["players"], study["outputs"], "fast - study",
                          refit=refit, refit_seed=refit_seed)


def fit_noise(study: dict, fast: dict, labels: list[str]) -> pd.DataFrame:
    """Per label, over every coalition but ∅ both arms evaluated: SD of d = v_fast − v_study divided by √2 (each
    arm's fit-to-fit SD when the arms differ only in model seed), each arm's refit estimate of that SD, and the
    correlation of d between coalitions that differ by one lead (0 if the fit noise is independent across
    coalitions, as the intervals assume)."""
    codes = sorted(c for c in study["values"] if c != 0)
    d = np.array([fast["values"][c] - study["values"][c] for c in codes])
    where = {c: i for i, c in enumerate(codes)}
    n = len(study["players"])
    pairs = np.array([(where[c], where[c | 1 << j]) for c in codes for j in range(n)
                      if not c >> j & 1 and (c | 1 << j) in where])
    rows = []
    for k, lab in enumerate(study["outputs"]):
        if lab not in labels or not np.isfinite(d[:, k]).all():
            continue
        rows.append({"label": lab, "coalitions": len(codes), "fit_sd_all": float(np.sqrt(np.mean(d[:, k] ** 2) / 2)),
                     "fit_sd_refits_study": float(np.sqrt(study["refit"][0][k])) if study.get("refit") else np.nan,
                     "fit_sd_refits_fast": float(np.sqrt(fast["refit"][0][k])) if fast.get("refit") else np.nan,
                     "neighbour_pairs": len(pairs),
                     "neighbour_corr": float(np.corrcoef(d[pairs[:, 0], k], d[pairs[:, 1], k])[0, 1])})
    return pd.DataFrame(rows).set_index("label")


def compare(study: dict, fast: dict, diff, n_pos: dict, n_neg: dict, min_heldout: int) -> pd.DataFrame:
    """One row per label: AUROCs, size of the change, leads changed, rank agreement, supported pairs lost."""
    s, f = study["draws"], fast["draws"]
    sup_s, sup_f = s.supported_differences(), f.supported_differences()
    z = float(norm.ppf(0.975))
    rows = []
    for k, lab in enumerate(s.outputs):
        ranked = n_pos[lab] >= min_heldout and n_neg[lab] >= min_heldout
        est_s, est_f = s.estimate[:, k], f.estimate[:, k]
        d, se_d = diff.estimate[:, k], diff.total_se[:, k]
        p = 2 * norm.sf(np.abs(d) / se_d)
        changed = [s.players[i] for i in np.flatnonzero(holm(p) < 0.05)]
        order_s, order_f = np.argsort(-est_s), np.argsort(-est_f)
        pairs_s = set(map(tuple, sup_s.loc[sup_s.label == lab, ["more_important", "less_important"]].to_numpy()))
        pairs_f = set(map(tuple, sup_f.loc[sup_f.label == lab, ["more_important", "less_important"]].to_numpy()))
        z_change = d / se_d
        rows.append({"label": lab, "n_pos": n_pos[lab], "n_neg": n_neg[lab],
                     "status": "ranked" if ranked else "insufficient",
                     "auroc_12_study": s.v_all[k], "auroc_12_fast": f.v_all[k],
                     "max_abs_dphi": float(np.abs(d).max()),
                     "max_dphi_over_study_se": float(np.max(np.abs(d) / s.total_se[:, k])),
                     "max_dphi_ci_halfwidth": float(z * se_d[np.argmax(np.abs(d))]),
                     "refit_se_study": float(s.refit_se[:, k].mean()),
                     "study_ci_widening": float(s.total_se[:, k].mean() / np.sqrt(s.data_se[:, k] ** 2
                                                                                  + s.mc_se[:, k] ** 2).mean()),
                     "rms_z_change": float(np.sqrt(np.mean(z_change ** 2))),
                     "leads_changed_holm": "+".join(changed) or "-",
                     "kendall_tau": kendalltau(est_s, est_f).statistic,
                     "same_top1": bool(order_s[0] == order_f[0]),
                     "same_top3": set(order_s[:3]) == set(order_f[:3]),
                     "supported_pairs_study": len(pairs_s), "supported_pairs_fast": len(pairs_f),
                     "pairs_lost": len(pairs_s - pairs_f),
                     "pairs_reversed": len({(a, b) for a, b in pairs_s if (b, a) in pairs_f})})
    return pd.DataFrame(rows).set_index("label")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=4000)
    ap.add_argument("--budget", type=int, default=512, help="distinct coalitions (the reference study's 512)")
    ap.add_argument("--split", choices=("source", "folds"), default="source")
    ap.add_argument("--heldout", type=float, default=0.25, help="share of records held out (--split source)")
    ap.add_argument("--split-seed", type=int, default=None,
                    help="--split source: which sources are held out (default: the study's seed, 0); another seed "
                         "is a second, independent measurement")
    ap.add_argument("--study-trees", type=int, default=None, help="the study arm's trees (default: the reference's)")
    ap.add_argument("--study-rate", type=float, default=None,
                    help="the study arm's learning rate (default: the reference's)")
    ap.add_argument("--fast-trees", type=int, default=100)
    ap.add_argument("--fast-rate", type=float, default=0.3)
    ap.add_argument("--fast-seed", type=int, default=None,
                    help="the second arm's model seed (default: the study's); with the study's trees and rate, the "
                         "seed-to-seed variation every other difference is to be judged against")
    ap.add_argument("--refits", type=int, default=32,
                    help="coalitions of each arm refitted with a second model seed, as the study's retrain_refits: "
                         "the fit-to-fit variation joins every interval (0: intervals conditional on the fits)")
    ap.add_argument("--rehearsal-root", type=Path, default=Path("artifacts") / "rehearsal")
    ap.add_argument("--out", type=Path, default=Path("artifacts") / "bench_retrain_model")
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args()
    root = args.rehearsal_root / str(args.records)
    build_rehearsal(root, RehearsalSpec.total(args.records, seed=0, ptbxl_100hz=False), n_jobs=args.n_jobs)
    cfg = reference_config([root / "ecg-arrhythmia", root / "ptb-xl"], {}, args.n_jobs, None)
    args.out.mkdir(parents=True, exist_ok=True)
    run = args.out / f"data_{args.records}"
    run.mkdir(exist_ok=True)
    index, X, Y, *_ = load_data(cfg, None, run, progress=True)
    labels = scorable_labels(Y.to_numpy(), list(Y.columns), cfg.min_positives)
    Y = Y[labels]
    if args.split == "source":
        source = index[["dataset", "record_id"]].astype(str).merge(
            pd.read_csv(root / SOURCES_FILE, dtype=str), on=["dataset", "record_id"], how="left")["source"]
        if source.isna().any():
            raise SystemExit(f"{root / SOURCES_FILE} does not name the source of every record: rebuild the rehearsal")
        test = heldout_by_source(source, args.heldout, cfg.seed if args.split_seed is None else args.split_seed)
        split = (f"{source[test].nunique()} held-out sources of {source.nunique()} (none of their variations in "
                 f"training)")
    else:
        folds = assign_folds(index, Y, n_folds=cfg.n_folds, random_state=cfg.seed)
        test = np.asarray(folds == folds.max())
        split = "the study's last fold"
    rl = [lab for lab in cfg.retrain_labels if lab in labels]
    data = {"X_train": X.loc[~test], "Y_train": Y.loc[~test, rl], "X_test": X.loc[test], "Y_test": Y.loc[test, rl],
            "groups": lead_groups(X)}
    n_pos = {lab: int((data["Y_test"][lab] == 1).sum()) for lab in rl}
    n_neg = {lab: int((data["Y_test"][lab] == 0).sum()) for lab in rl}
    print(f"N={args.records}: {int((~test).sum())} training and {int(test.sum())} held-out records, {len(rl)} "
          f"labels of the retraining game; held out: {split}; {args.budget} coalitions per arm", flush=True)
    xi = multiplier_weights(int(test.sum()), cfg.n_draws, random_state=cfg.seed)
    cache = args.out / ".cache" / f"{args.records}_{args.split}"
    study_trees = cfg.retrain_n_estimators if args.study_trees is None else args.study_trees
    study_rate = cfg.retrain_learning_rate if args.study_rate is None else args.study_rate
    study = value_arm("study", study_trees, study_rate, data, args.budget, cfg.seed,
                      args.n_jobs, xi, cache, refits=args.refits)
    fast = value_arm("fast", args.fast_trees, args.fast_rate, data, args.budget, cfg.seed, args.n_jobs, xi, cache,
                     model_seed=args.fast_seed, refits=args.refits)
    diff = difference_draws(study, fast, xi)
    table = compare(study, fast, diff, n_pos, n_neg, cfg.min_heldout_positives)
    arm = (("" if args.study_trees is None and args.study_rate is None else f"study{study_trees}_{study_rate:g}_")
           + f"{args.fast_trees}_{args.fast_rate:g}_seed{cfg.seed if args.fast_seed is None else args.fast_seed}"
           + f"_refits{args.refits}" + (f"_split{args.split_seed}" if args.split_seed is not None else ""))
    table.to_csv(args.out / f"compare_{args.records}_{args.budget}_{args.split}_{arm}.csv")
    pd.set_option("display.width", 250)
    print(table.round(3).to_string())
    r = table[table.status == "ranked"]
    noise = fit_noise(study, fast, list(r.index))
    noise.to_csv(args.out / f"fit_noise_{args.records}_{args.budget}_{args.split}_{arm}.csv")
    print("\nfit noise per ranked label (d = v_fast − v_study per coalition):")
    print(noise.round(4).to_string())
    print(f"neighbour correlation of d: median {noise.neighbour_corr.median():.2f}, largest "
          f"{noise.neighbour_corr.max():.2f}")
    print(f"\nranked labels: {len(r)} of {len(table)}; 12-lead AUROC study {r.auroc_12_study.mean():.3f} vs fast "
          f"{r.auroc_12_fast.mean():.3f} (mean over ranked labels)")
    print(f"largest |Δφ| {r.max_abs_dphi.max():.4f} AUROC = {r.max_dphi_over_study_se.max():.2f} × the study arm's "
          f"SE; leads changed (Holm) in {int((r.leads_changed_holm != '-').sum())} labels; Kendall τ median "
          f"{r.kendall_tau.median():.2f} (min {r.kendall_tau.min():.2f}); same top lead {int(r.same_top1.sum())}/"
          f"{len(r)}, same top 3 {int(r.same_top3.sum())}/{len(r)}; supported pairs study "
          f"{r.supported_pairs_study.sum()}, lost {r.pairs_lost.sum()}, reversed {r.pairs_reversed.sum()}")
    print(f"refits per arm: {args.refits}; Δφ / its SE over the ranked labels' leads: rms "
          f"{np.sqrt(np.mean(r.rms_z_change ** 2)):.2f} (1 if the change is the noise the intervals allow)")
    known = study["fits"] > 0 and fast["fits"] > 0
    ratio = f"{study['seconds'] / fast['seconds']:.2f}" if known else "n/a (fits from cache)"
    print(f"fit wall time: study {study['seconds']:.0f} s, fast {fast['seconds']:.0f} s; study/fast = {ratio}")


if __name__ == "__main__":
    main()
