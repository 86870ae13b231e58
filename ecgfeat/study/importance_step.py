"""The study's importance step: lead Shapley values under three value functions with CIs over the held-out
records, lead-set searches, Monte Carlo convergence and the retraining game."""
from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from .._random import stream_seeds
from ..importance import (Game, GlobalScoreGame, LeadShapley, MaskedModelGame, RetrainGame, exact_shapley,
                          odd_regression_shapley, permutation_shapley, regression_shapley)
from ..importance.coalitions import CachedGame, coalition_masks
from ..importance.inference import (auroc_interval, conservative_df, exact_global_draws, lead_importance_table,
                                    multiplier_weights, rank_agreement, replayed_draws, sampled_global_draws,
                                    sampled_refit_variance, score_contributions)
from ..importance.lead_selection import best_lead_sets
from ..models.classifier import LeadGroupedXGBClassifier
from .lead_set_models import lead_set_model
from .step_clock import StepClock

#: the importance step's random streams, independent of each other and of the fold assignment (seeded by cfg.seed)
IMPORTANCE_STREAMS = ("multipliers", "background", "refit_model", "refit_coalitions", "refit_noise")


def lead_importance_step(cfg, X, Y, folds, cache_dir: Path, progress: bool = False,
                         clock: StepClock | None = None) -> dict[str, Any]:
    """Lead importance on the last fold; ``cache_dir`` keeps the retraining game's coalition models. Steps
    ``masked_games``, ``mc_convergence``, ``lead_set_search`` and ``retraining_game`` are timed on ``clock``."""
    clock = clock or StepClock()
    with clock.step("masked_games"):
        out, ctx = _masked_games(cfg, X, Y, folds, progress)
    with clock.step("mc_convergence"):
        out["mc_curve"] = _mc_convergence(cfg, ctx)
    with clock.step("lead_set_search"):
        out["best_sets"] = _lead_set_search(cfg, ctx)
    with clock.step("retraining_game"):
        _retraining_game(cfg, X, Y, ctx, out, cache_dir, progress)
    _tables(cfg, ctx, out)
    return out


def _masked_games(cfg, X, Y, folds, progress):
    """The importance model, the global masked games with their CIs and the local game; returns (outputs, the
    context the later steps share)."""
    test = np.asarray(folds == folds.max())
    # calibrated probabilities (no class weights) and every lead dropped in some rows: v(∅) is the prevalence
    # one model, fitted and queried (4,096 coalitions × held-out records) here: all cores for its trees
    model = lead_set_model(cfg, lead_dropout=cfg.importance_lead_dropout, empty_dropout=cfg.importance_empty_dropout,
                           imbalance="none", n_jobs=cfg.n_jobs).fit(X.loc[~test], Y.loc[~test])
    labels = list(Y.columns)
    priors = np.asarray(model.priors_)
    out: dict[str, Any] = {}
    X_test, Y_test = X.loc[test], Y.loc[test]
    n_pos = {lab: int((Y_test[lab] == 1).sum()) for lab in labels}
    n_neg = {lab: int((Y_test[lab] == 0).sum()) for lab in labels}
    counts = pd.DataFrame({"n_pos_heldout": n_pos, "n_neg_heldout": n_neg,
                           "n_pos_total": {lab: int((Y[lab] == 1).sum()) for lab in labels},
                           "n_neg_total": {lab: int((Y[lab] == 0).sum()) for lab in labels}})
    counts["status"] = np.where((counts.n_pos_heldout >= cfg.min_heldout_positives)
                                & (counts.n_neg_heldout >= cfg.min_heldout_positives), "ranked", "insufficient")
    counts.index.name = "label"
    out["counts"] = counts
    seeds = stream_seeds(cfg.seed, IMPORTANCE_STREAMS)
    xi = multiplier_weights(int(test.sum()), cfg.n_draws, random_state=seeds["multipliers"])
    rng = np.random.default_rng(seeds["background"])
    background = X.loc[~test].iloc[rng.choice(int((~test).sum()), min(cfg.background_rows, int((~test).sum())),
                                              replace=False)].to_numpy()
    # (1) global, SAGE-style: held-out AUROC of the masked model, exact over 4,096 coalitions, CIs over records
    t0 = time.perf_counter()
    game = GlobalScoreGame(model.predict_label_proba, X_test, Y_test, model.lead_groups_, masking="missing",
                           score="auroc", outputs=labels, empty_output=priors)
    scored = CachedGame(game)  # every coalition's AUROC computed once for the MC curve and the lead-set searches
    draws = {"missing": exact_global_draws(game, xi, value_function="missing", progress=progress, cache=scored)}
    glob = exact_shapley(scored)
    bg_game = GlobalScoreGame(model.predict_label_proba, X_test, Y_test, model.lead_groups_, masking="background",
                              background=background, score="auroc", outputs=labels, empty_output=priors)
    if cfg.background_game_evaluations:  # background rows make each coalition dear: sampled, with its MC error
        draws["background"] = sampled_global_draws(bg_game, xi, _sampler(cfg, cfg.background_game_evaluations),
                                                   value_function="background", progress=progress)
    else:
        draws["background"] = exact_global_draws(bg_game, xi, value_function="background", progress=progress)
    out["global_seconds"] = time.perf_counter() - t0
    g = pd.DataFrame(glob.values[0].T, index=labels, columns=glob.players)
    out["global"] = g
    # v(all leads): the 12-lead model's held-out AUROC per label, with its DeLong CI
    v_all = glob.full_values[0]
    low, high = _auroc_intervals(game, np.ones((1, game.n_players), dtype=bool), list(range(len(labels))),
                                 v_all[None, :], counts.n_pos_heldout.to_numpy(), counts.n_neg_heldout.to_numpy())
    out["global_v"] = pd.DataFrame({"v_none": glob.base_values[0], "v_all": v_all, "v_all_low": low[0],
                                    "v_all_high": high[0]}, index=labels)
    # (2) local: mean |phi| of the predicted probability over held-out records (v(∅) = training prevalence)
    rows = X_test.iloc[: cfg.local_rows]
    t0 = time.perf_counter()
    local = exact_shapley(MaskedModelGame(model.predict_label_proba, rows, model.lead_groups_,
                                          masking=cfg.masking, background=background
                                          if cfg.masking == "background" else None, outputs=labels,
                                          empty_output=priors),
                          progress=progress)
    out["local_seconds"] = time.perf_counter() - t0
    loc = local.mean_abs().T
    # standard error of a mean over the explained records
    loc_se = pd.DataFrame(np.abs(local.values).std(axis=0, ddof=1).T / np.sqrt(len(rows)), index=labels,
                          columns=local.players)
    out["local"], out["local_se"], out["local_n"] = loc, loc_se, len(rows)
    ctx = {"model": model, "labels": labels, "test": test, "X_test": X_test, "Y_test": Y_test, "game": game,
           "scored": scored, "glob": glob, "xi": xi, "seeds": seeds, "draws": draws, "n_pos": n_pos, "n_neg": n_neg,
           "counts": counts}
    return out, ctx


def _mc_convergence(cfg, ctx) -> pd.DataFrame:
    """Monte Carlo error against the exact global values, by sampler and budget."""
    scored, glob = ctx["scored"], ctx["glob"]
    curve = []
    scale = np.abs(glob.full_values - glob.base_values).max()
    for pairs in (2, 4, 8, 16, 32, 64):
        mc = permutation_shapley(scored, random_state=cfg.seed, tol=0.0, max_pairs=pairs, min_pairs=pairs,
                                 batch_pairs=pairs)
        curve.append({"method": "permutation", "pairs": pairs, "evaluations": mc.n_evaluations,
                      "error": float(np.nanmax(np.abs(mc.values - glob.values)) / scale),
                      "max_se": float(np.nanmax(mc.std_error)) / scale})
    for method in ("regression", "odd-regression"):
        for budget in (60, 100, 200, 400, 800):
            mc = _sampler(cfg, budget, method)(scored)
            curve.append({"method": method, "pairs": np.nan, "evaluations": mc.n_evaluations,
                          "error": float(np.nanmax(np.abs(mc.values - glob.values)) / scale),
                          "max_se": float(np.nanmax(mc.std_error)) / scale})
    return pd.DataFrame(curve)


def _auroc_intervals(game: GlobalScoreGame, masks: np.ndarray, outputs: list[int], auroc: np.ndarray, n_pos,
                     n_neg) -> tuple[np.ndarray, np.ndarray]:
    """95 % DeLong CIs (logit scale, Student's t with :func:`~ecgfeat.importance.inference.conservative_df`) of
    the held-out AUROCs ``auroc`` (coalitions × outputs) of the coalitions ``masks`` for the game's output columns
    ``outputs``."""
    _, contrib = score_contributions(game.y[:, outputs], game.local(masks)[:, :, outputs], "auroc")
    return auroc_interval(auroc, np.sqrt((contrib ** 2).sum(axis=1)), n_pos, n_neg,
                          df=conservative_df(game.y[:, outputs], "auroc"))


def _lead_set_search(cfg, ctx) -> pd.DataFrame:
    """Reduced lead sets per label from the global game, each set's AUROC with a DeLong 95 % CI (logit scale:
    :func:`~ecgfeat.importance.inference.auroc_interval`)."""
    scored, glob, game, labels = ctx["scored"], ctx["glob"], ctx["game"], ctx["labels"]
    n_pos, n_neg = ctx["n_pos"], ctx["n_neg"]
    sets = []
    for lab in labels:
        df = best_lead_sets(scored, glob, lab, k_max=cfg.k_max, exhaustive_up_to=cfg.exhaustive_up_to)
        masks = np.array([[lead in s.split("+") for lead in game.players] for s in df["leads"]], dtype=bool)
        low, high = _auroc_intervals(game, masks, [labels.index(lab)], df["value"].to_numpy()[:, None],
                                     n_pos[lab], n_neg[lab])
        sets.append(df.assign(label=lab, ci_low=low[:, 0], ci_high=high[:, 0], n_pos_heldout=n_pos[lab],
                              n_neg_heldout=n_neg[lab]))
    return pd.concat(sets, ignore_index=True)


def coalition_model(leads: Sequence[str], n_estimators: int, learning_rate: float, seed: int,
                    **kwargs) -> LeadGroupedXGBClassifier:
    """The retraining game's model of one lead coalition: no early stopping (every coalition gets the same trees)
    and no class weights (calibrated probabilities, like v(∅) = the training prevalence); ``kwargs`` go to the
    classifier."""
    return LeadGroupedXGBClassifier(leads=list(leads), n_estimators=n_estimators, learning_rate=learning_rate,
                                    early_stopping_rounds=None, imbalance="none", random_state=seed, **kwargs)


def coalition_model_maker(n_estimators: int, learning_rate: float, seed: int
                          ) -> tuple[Callable[[Sequence[str]], LeadGroupedXGBClassifier], dict]:
    """(leads → unfitted :func:`coalition_model`, the configuration that keys its cached predictions in
    :class:`~ecgfeat.importance.RetrainGame`)."""
    make = partial(coalition_model, n_estimators=n_estimators, learning_rate=learning_rate, seed=seed)
    return make, {"n_estimators": n_estimators, "learning_rate": learning_rate, "seed": seed, "imbalance": "none"}


def _retraining_game(cfg, X, Y, ctx, out, cache_dir: Path, progress) -> None:
    """The retraining value function (Monte Carlo, coalition models cached on disk), CIs over the same records;
    adds its draws to ``ctx['draws']`` and its tables to ``out``."""
    model, labels, test, X_test, Y_test = ctx["model"], ctx["labels"], ctx["test"], ctx["X_test"], ctx["Y_test"]
    xi, seeds, draws, scored = ctx["xi"], ctx["seeds"], ctx["draws"], ctx["scored"]
    rl = [lab for lab in (cfg.retrain_labels or labels[:3]) if lab in labels]
    budget = cfg.retrain_pairs if cfg.retrain_method == "permutation" else cfg.retrain_evaluations
    if rl and budget > 0:
        t0 = time.perf_counter()
        make, config = coalition_model_maker(cfg.retrain_n_estimators, cfg.retrain_learning_rate, cfg.seed)
        rg = RetrainGame(make, X.loc[~test], Y.loc[~test, rl], X_test, Y_test[rl], model.lead_groups_,
                         config=config, cache_dir=cache_dir / "coalitions", n_jobs=cfg.n_jobs,
                         progress=progress)

        estimate = _sampler(cfg, budget, cfg.retrain_method)
        res = estimate(rg)
        how = (f"{res.n_permutations} Monte Carlo permutations ({res.n_evaluations} lead coalitions)"
               if cfg.retrain_method == "permutation"
               else f"{cfg.retrain_method} Monte Carlo over {res.n_evaluations} lead coalitions")
        values, contrib = rg.record_contributions()
        refit = coalition_refit_variance(rg, values, cfg.retrain_refits, cfg.retrain_n_estimators,
                                         cfg.retrain_learning_rate, seeds["refit_model"], seeds["refit_coalitions"])
        draws["retrain"] = replayed_draws(estimate, res, values, contrib, xi, rg.players, rg.outputs, "retrain",
                                          refit=refit, refit_seed=seeds["refit_noise"],
                                          data_df=conservative_df(Y_test[rl].to_numpy(), rg.score))
        r = pd.DataFrame(res.values[0].T, index=rl, columns=res.players)
        se = pd.DataFrame(res.std_error[0].T, index=rl, columns=res.players)
        # masked (missing) vs retrained score of every coalition the retraining game evaluated
        codes = sorted(values)
        masks = coalition_masks(codes, len(rg.players))
        masked = scored(masks)[:, 0, :]
        cmp = [{"label": lab, "leads": "+".join(p for p, m in zip(rg.players, mask) if m) or "(none)",
                "n_leads": int(mask.sum()), "masked_auroc": masked[j, labels.index(lab)],
                "retrained_auroc": values[code][rl.index(lab)]}
               for j, (code, mask) in enumerate(zip(codes, masks)) for lab in rl]
        out["masked_vs_retrained"] = pd.DataFrame(cmp)
        out.update(retrain=r, retrain_se=se, retrain_fits=rg.fits, retrain_hits=rg.hits,
                   retrain_seconds=time.perf_counter() - t0, retrain_how=how,
                   retrain_refits=refit[1] if refit is not None else 0)


def coalition_refit_variance(game: RetrainGame, values: dict[int, np.ndarray], n_refits: int, n_estimators: int,
                             learning_rate: float, model_seed: int, coalition_seed: int
                             ) -> tuple[np.ndarray, int] | None:
    """Per-label variance (AUROC²) of a coalition's held-out score from refitting its :func:`coalition_model`:
    ``n_refits`` of the coalitions ``game`` evaluated (``values``), drawn with ``coalition_seed``, refitted with
    ``model_seed`` in the same cache (:func:`~ecgfeat.importance.inference.sampled_refit_variance`)."""
    make, config = coalition_model_maker(n_estimators, learning_rate, model_seed % 2 ** 31)
    return sampled_refit_variance(game.refitted(make, config), values, n_refits, coalition_seed)


def _sampler(cfg, budget: int, method: str = "odd-regression") -> Callable[[Game], LeadShapley]:
    """A deterministic Monte Carlo estimator of a global game (seed ``cfg.seed``, ``budget`` distinct coalitions,
    or antithetic pairs for 'permutation'; no stopping rule), so that it can be replayed on each bootstrap draw."""
    if method == "permutation":
        return lambda g: permutation_shapley(g, random_state=cfg.seed, tol=0.0, max_pairs=budget, min_pairs=budget)
    if method == "regression":
        return lambda g: regression_shapley(g, random_state=cfg.seed, tol=0.0, max_evaluations=budget)
    return lambda g: odd_regression_shapley(g, random_state=cfg.seed, tol=0.0, max_evaluations=budget)


def _tables(cfg, ctx, out) -> None:
    """One long table, rank agreement between value functions, supported pairwise differences."""
    draws, n_pos, n_neg, counts = ctx["draws"], ctx["n_pos"], ctx["n_neg"], ctx["counts"]
    table = lead_importance_table(list(draws.values()), n_pos, n_neg, cfg.min_heldout_positives)
    out["lead_importance"] = table
    names = list(draws)
    agreement = pd.concat([rank_agreement(draws[a], draws[b]) for i, a in enumerate(names) for b in names[i + 1:]],
                          ignore_index=True)
    agreement = agreement[agreement["label"].map(counts["status"]) == "ranked"]
    out["agreement"] = agreement
    found = [t for t in (d.supported_differences() for d in draws.values()) if len(t)]
    diffs = pd.concat(found, ignore_index=True) if found else draws["missing"].supported_differences()
    diffs = diffs[diffs["label"].map(counts["status"]) == "ranked"]
    out["differences"] = diffs
    out["n_test"] = int(ctx["test"].sum())
