"""Cost curves of the reference study: wall time and peak memory per step on rehearsal datasets of N records.

For each ``--records N`` it builds (or reuses) a rehearsal of N records (``benchmarks/rehearsal.py``: the real
ecg-arrhythmia and PTB-XL layouts, made from the shared sample's records, split 45,152 : 21,799), writes the
reference configuration (``ecgfeat/pipelines/reference_study.yaml``) pointing at it, and runs the whole study
in this process from a cold feature cache. Per step (index, data hashes, features, lead-set models, bootstrap,
masked games, lead-set search, MC convergence, retraining game, report) it records:
- wall seconds (the study's own step clock);
- peak resident memory of this process plus every child process (joblib workers), sampled every 0.2 s.

Each N's result is kept in ``<out>/scale_<N>.json``. The table printed covers every N measured so far with the
same configuration; per step it gives the growth exponent b of wall = a·N^b (least squares in log-log over the
measured N; 1 means linear) and a projection to the full 66,951 records from the two largest N: wall time with
their exponent, or linearly when it is below 1 (at small N fixed costs are still being amortised), per-label steps
scaled to the full study's 18 labels, the total as the sum of the steps'; memory with their exponent (flat when
it is below 0).

Each N runs in a fresh process (so one N's peak memory holds nothing left over from a smaller N's run).

    .venv/bin/python benchmarks/bench_scale.py --records 1000 4000 [--n-jobs 2] [--set n_boot=200 ...]

Every run also times a fixed unit of work before and after (:func:`machine_speed_s`): this machine's speed has
varied by a factor of up to 2 between sessions, so figures from different runs are compared through it.

The last line reads ``records=<N> wall_s=<x> peak_rss_mb=<x>`` for the last run made. ``--set key=value``
overrides a configuration key (YAML syntax) for every N; the overrides are part of the result's identity.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rehearsal import FULL_ARRHYTHMIA, FULL_PTBXL, RehearsalSpec, build_rehearsal  # noqa: E402

from ecgfeat.study.config import StudyConfig  # noqa: E402
from ecgfeat.study.run import run_study  # noqa: E402
from ecgfeat.study.step_clock import STUDY_STEPS, StepClock  # noqa: E402

FULL = FULL_ARRHYTHMIA + FULL_PTBXL


class MemorySampler(threading.Thread):
    """Peak RSS (MB) of this process tree per step named by ``clock.current``, sampled every ``interval`` s."""

    def __init__(self, clock: StepClock, interval: float = 0.2):
        super().__init__(daemon=True)
        self.clock, self.interval = clock, interval
        self.peak: dict[str, float] = {}
        self.peak_main: dict[str, float] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self._halt.is_set():
            step = self.clock.current or "other"
            try:
                main = me.memory_info().rss
                tree = main + sum(c.memory_info().rss for c in me.children(recursive=True))
            except psutil.Error:  # a worker ended while being read
                continue
            self.peak[step] = max(self.peak.get(step, 0.0), tree / 2 ** 20)
            self.peak_main[step] = max(self.peak_main.get(step, 0.0), main / 2 ** 20)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def machine_speed_s(seed: int = 0) -> float:
    """Seconds of a fixed unit of work on this machine now: one XGBoost fit (150 trees of depth 4 at learning rate
    0.2, ``hist``, one thread) on 20,000 × 200 seeded Gaussian rows with a logistic label; the best of two runs.
    Printed beside every measurement, so that runs made on other days (the same machine's unit costs have differed
    by a factor of up to 2.1 between sessions) or on other machines can be put on one scale: multiply a wall time
    by (another run's machine_speed_s / this one's). Other work running beside a measurement shows here too."""
    import xgboost as xgb

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((20_000, 200)).astype(np.float32)
    y = (X[:, :10].sum(axis=1) + rng.standard_normal(20_000) > 0).astype(int)
    best = np.inf
    for _ in range(2):
        t0 = time.perf_counter()
        xgb.XGBClassifier(n_estimators=150, max_depth=4, learning_rate=0.2, tree_method="hist", n_jobs=1,
                          random_state=seed).fit(X, y)
        best = min(best, time.perf_counter() - t0)
    return float(best)


def reference_config(folders: list[Path], overrides: dict, n_jobs: int, scheduler: str | None) -> StudyConfig:
    cfg = StudyConfig.named("reference")
    raw = {**asdict(cfg), "folders": [str(f) for f in folders], **overrides, "n_jobs": n_jobs,
           "scheduler": scheduler}
    return StudyConfig(**raw)


def measure(n_records: int, args: argparse.Namespace, overrides: dict) -> dict:
    """Build the rehearsal of ``n_records`` and run the study on it; returns the per-step figures."""
    spec = RehearsalSpec.total(n_records, seed=0, ptbxl_100hz=False)
    root = args.rehearsal_root / str(n_records)
    t0 = time.perf_counter()
    build_rehearsal(root, spec, n_jobs=args.n_jobs)
    build_s = time.perf_counter() - t0  # ~0 when an existing rehearsal was reused
    cfg = reference_config([root / "ecg-arrhythmia", root / "ptb-xl"], overrides, args.n_jobs, args.scheduler)
    artifacts = args.out / f"runs_{n_records}"
    if artifacts.exists():  # a cold feature cache and no finished steps: every step is measured
        shutil.rmtree(artifacts)
    speed = machine_speed_s()
    clock = StepClock()
    sampler = MemorySampler(clock)
    sampler.start()
    t0 = time.perf_counter()
    run = run_study(cfg, artifacts=artifacts, run_id="scale", progress=False, clock=clock)
    wall = time.perf_counter() - t0
    sampler.stop()
    manifest = json.loads((run / "manifest.json").read_text())
    return {"records": n_records, "train_records": manifest["n_records"], "external_records": manifest["n_external"],
            "labels": manifest["labels"], "wall_s": round(wall, 1), "rehearsal_build_s": round(build_s, 1),
            "step_seconds": {k: round(v, 2) for k, v in clock.seconds.items()},
            "step_peak_rss_mb": {k: round(v, 1) for k, v in sampler.peak.items()},
            "step_peak_rss_main_mb": {k: round(v, 1) for k, v in sampler.peak_main.items()},
            "peak_rss_mb": round(max(sampler.peak.values()), 1), "overrides": overrides,
            "n_jobs": args.n_jobs, "scheduler": args.scheduler, "cpus": psutil.cpu_count(),
            "machine_speed_s": [round(speed, 2), round(machine_speed_s(), 2)]}


#: steps whose work is per label scored (fits, games and bootstrap replicates of each label): their projections are
#: scaled by the full study's labels over the largest N's (a rehearsal of 16,000 records scores 16 of the 18)
PER_LABEL_STEPS = ("lead_set_models", "bootstrap", "masked_games", "lead_set_search", "retraining_game")


def measure_in_fresh_process(n_records: int, args: argparse.Namespace) -> dict:
    """:func:`measure` run by this script in a new interpreter (``--measure-one``), so that its peak memory holds
    nothing left over from an earlier N; returns its result."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--measure-one", str(n_records), "--result-file",
                   str(out), "--rehearsal-root", str(args.rehearsal_root), "--out", str(args.out),
                   "--n-jobs", str(args.n_jobs), *(["--scheduler", args.scheduler] if args.scheduler else []),
                   *(f"--set={item}" for item in args.set)]
        subprocess.run(command, check=True)
        return json.loads(out.read_text())


def growth_table(results: list[dict], full_labels: int | None = None) -> pd.DataFrame:
    """Per step: wall seconds and peak MB at each N, the log-log growth exponent, and the projection to the full
    size from the two largest N (wall; memory from the largest N's exponent as well). ``full_labels``: the labels
    the full study scores (default: the reference configuration's retraining labels, all 18 study labels, each
    with ≥ 50 positives at the full size); per-label steps (:data:`PER_LABEL_STEPS`) are scaled from the largest
    N's label count to it."""
    results = sorted(results, key=lambda r: r["records"])
    ns = np.array([r["records"] for r in results], float)
    full_labels = full_labels or len(StudyConfig.named("reference").retrain_labels)
    scored = len(results[-1].get("labels", []))
    label_factor = full_labels / scored if scored else 1.0
    rows = []
    for step in [*STUDY_STEPS, "total"]:
        wall = np.array([r["wall_s"] if step == "total" else r["step_seconds"].get(step, np.nan) for r in results])
        mem = np.array([r["peak_rss_mb"] if step == "total" else r["step_peak_rss_mb"].get(step, np.nan)
                        for r in results])
        row = {"step": step}
        for n, w, m in zip(ns, wall, mem):
            row[f"wall_s@{int(n)}"] = w
            row[f"peak_mb@{int(n)}"] = m
        ok = np.isfinite(wall) & (wall > 0)
        if ok.sum() >= 2:
            b = np.polyfit(np.log(ns[ok]), np.log(wall[ok]), 1)[0]
            b2 = np.log(wall[ok][-1] / wall[ok][-2]) / np.log(ns[ok][-1] / ns[ok][-2])
            row["exponent"] = round(float(b), 2)
            row["exponent_last_two"] = round(float(b2), 2)
            # never below linear: below-linear growth between small N is fixed cost being amortised, which stops
            # (a model fit's or a bootstrap's work is at least proportional to its rows)
            factor = label_factor if step in PER_LABEL_STEPS else 1.0
            row[f"projected_wall_s@{FULL}"] = round(float(wall[ok][-1] * (FULL / ns[ok][-1]) ** max(b2, 1.0)
                                                          * factor), 0)
            okm = np.isfinite(mem) & (mem > 0)
            if okm.sum() >= 2:
                bm = np.log(mem[okm][-1] / mem[okm][-2]) / np.log(ns[okm][-1] / ns[okm][-2])
                row[f"projected_peak_mb@{FULL}"] = round(float(mem[okm][-1] * (FULL / ns[okm][-1]) ** max(bm, 0.0)))
        rows.append(row)
    table = pd.DataFrame(rows).set_index("step")
    col = f"projected_wall_s@{FULL}"
    if col in table:  # the total: its steps' projections, plus the time outside any step (study set-up) linearly
        outside = results[-1]["wall_s"] - sum(results[-1]["step_seconds"].values())
        table.loc["total", col] = round(float(table.loc[list(STUDY_STEPS), col].sum()
                                              + max(outside, 0.0) * FULL / ns[-1]), 0)
    return table


def reference_fits_projection(table: pd.DataFrame, overrides: dict) -> str | None:
    """When the runs changed only the retraining game's number of coalition fits (``retrain_evaluations`` /
    ``retrain_refits``, to keep the larger N within a session), the full-size projection of the reference
    configuration: the retraining step's projection scaled by the reference's fits over the run's (its fits are
    independent, equal units of work), the other steps as projected. None otherwise."""
    ref = StudyConfig.named("reference")
    if not overrides or not set(overrides) <= {"retrain_evaluations", "retrain_refits"}:
        return None
    fits_ref = ref.retrain_evaluations + ref.retrain_refits
    fits_run = overrides.get("retrain_evaluations", ref.retrain_evaluations) + overrides.get("retrain_refits",
                                                                                            ref.retrain_refits)
    col = f"projected_wall_s@{FULL}"
    if fits_run == 0 or col not in table or not np.isfinite(table.loc["retraining_game", col]):
        return None
    retrain = float(table.loc["retraining_game", col]) * fits_ref / fits_run
    total = float(table.loc["total", col]) - float(table.loc["retraining_game", col]) + retrain
    return (f"reference configuration projected to {FULL} records: {total / 3600:.1f} h, with the retraining game "
            f"({fits_ref} fits) at {fits_ref}/{fits_run} × its projection with {fits_run} fits = {retrain / 3600:.2f} h")


# ------------------------------------------------------------------------ unit costs at the full size
def full_size_data(features: Path, n_rows: int, labels: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n_rows`` rows of a measured run's rehearsal features and labels (``features.parquet`` and ``labels.csv``
    of the run folder), drawn with replacement and jittered by 1 % of each column's SD so no two rows are equal;
    ``labels`` label columns, the run's own labels repeated in turn when it scored fewer. The shapes the full study
    fits, with labels the models can learn: boosting runs as many rounds as the study's would (random labels made
    early stopping end fits after a few rounds and under-counted fit and prediction time). For timing only."""
    table = pd.read_parquet(features)
    known = pd.read_csv(features.parent / "labels.csv", dtype={"record_id": str})
    table = table.merge(known, on=["record_id", "dataset"], how="inner")
    real = [c for c in known.columns if c not in ("record_id", "dataset", "fold", "split")]
    X = table[[c for c in table.columns if "__" in c]].astype(np.float64)
    rng = np.random.default_rng(seed)
    take = rng.integers(0, len(X), n_rows)
    rows = X.to_numpy()[take]
    rows = rows + rng.standard_normal(rows.shape) * 0.01 * np.nanstd(X.to_numpy(), axis=0)
    Y = np.nan_to_num(table[real].to_numpy(float)[take][:, [k % len(real) for k in range(labels)]])
    names = [real[k] if k < len(real) else f"{real[k % len(real)]}_{k // len(real)}" for k in range(labels)]
    return pd.DataFrame(rows, columns=X.columns), pd.DataFrame(Y, columns=names)


def _timed(fn, clock: StepClock | None = None, step: str = "") -> tuple[float, object]:
    """(wall seconds, result) of ``fn()``, run as ``step`` on ``clock`` (so a memory sampler files its peak)."""
    with clock.step(step) if clock is not None else nullcontext():
        t0 = time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, out


#: other coalition models than the study's (150 trees at learning rate 0.2, one booster per label), timed beside it
COALITION_MODEL_VARIANTS = {"300 trees, learning rate 0.1 (the study's until 2026-12)": {"n_estimators": 300,
                                                                                         "learning_rate": 0.1},
                            "100 trees, learning rate 0.3": {"n_estimators": 100, "learning_rate": 0.3},
                            "the study's trees, one native multi-output booster": {"multi_strategy": "native"}}


def _coalition_model(cfg: StudyConfig, **kw):
    """The retraining game's model of one 6-lead coalition (the sampler's mean coalition size); ``kw`` overrides
    the configuration's trees and rate or adds classifier parameters."""
    from ecgfeat.study.importance_step import coalition_model

    kw = {"n_estimators": cfg.retrain_n_estimators, "learning_rate": cfg.retrain_learning_rate, **kw}
    return coalition_model(["I", "II", "III", "V1", "V2", "V3"], seed=0, **kw)


def unit_costs(features: Path, per_record: dict, n_jobs: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each heavy step's unit of work timed once at the full study's shapes, and the step's wall time projected as
    units × unit time / workers (the study runs units in parallel on ``n_jobs`` workers, one thread each). Also
    the peak resident memory of this process while each step's units ran, with the full-size feature matrix
    (45,152 records) and labels loaded: a study worker holds the same data and one unit at a time.

    ``per_record``: seconds per record of the index, features, data-hash and report steps, from a measured run
    (their work per record does not depend on N).

    Returns the table of steps and the coalition-model variants (:data:`COALITION_MODEL_VARIANTS`, timed after the
    study's own) with the retraining game's hours for each. The variants change the models the game values;
    their effect on the lead rankings is measured by ``benchmarks/bench_retrain_model.py``, not here."""
    from ecgfeat.importance import GlobalScoreGame
    from ecgfeat.importance.exact import all_coalitions
    from ecgfeat.importance.inference import multiplier_weights, score_contributions
    from ecgfeat.models.lead_sets import resolve_lead_set
    from ecgfeat.models.metrics import evaluate_labels
    from ecgfeat.study.lead_set_models import lead_set_model

    cfg = StudyConfig.named("reference")
    n_labels = len(cfg.retrain_labels)  # the 18 study labels: all have ≥ 50 positives at the full size
    n_train = FULL_ARRHYTHMIA * (cfg.n_folds - 1) // cfg.n_folds  # one CV fold's training rows
    n_test = FULL_ARRHYTHMIA // cfg.n_folds
    X, Y = full_size_data(features, FULL_ARRHYTHMIA, n_labels)
    Xtr, Ytr = X.iloc[:n_train], Y.iloc[:n_train]
    rows = []
    clock = StepClock()
    sampler = MemorySampler(clock)  # peak RSS of this process during each step's units, full-size data resident
    sampler.start()
    # lead-set models: 10 CV fits + 1 external fit per lead set; fit time by number of leads
    sizes = {name: len(resolve_lead_set(name)) for name in cfg.lead_sets}
    fit_s, rounds = {}, {}
    for k, name in ((1, "single-II"), (6, "limb"), (12, "12-lead")):
        fit_s[k], fitted = _timed(lambda: lead_set_model(cfg, leads=name).fit(Xtr, Ytr), clock, "lead_set_models")
        rounds[k] = float(np.mean(fitted.best_iterations_)) + 1
    ks = np.array(sorted(fit_s))
    per_set = {name: float(np.interp(k, ks, [fit_s[j] for j in ks])) * (cfg.n_folds + 1) for name, k in sizes.items()}
    rows.append({"step": "lead_set_models", "unit": f"one fit, {n_train} rows × {n_labels} labels (mean best "
                                                    f"round {rounds[1]:.0f} / {rounds[6]:.0f} / {rounds[12]:.0f})",
                 "unit_s": f"1 lead {fit_s[1]:.1f} / 6 leads {fit_s[6]:.1f} / 12 leads {fit_s[12]:.1f}",
                 "units": f"{len(sizes)} lead sets × {cfg.n_folds + 1} fits", "projected_s": sum(per_set.values()) / n_jobs})
    # bootstrap: evaluate_labels (AUROC, AUPRC, F1 of the hard predictions) on the internal and the external set
    p = np.random.default_rng(1).random(Y.shape)
    hard = (p > 0.5).astype(float)
    boots = 50
    t_int, _ = _timed(lambda: evaluate_labels(Y, p, labels=list(Y.columns), hard=hard, n_boot=boots,
                                              min_positives=50), clock, "bootstrap")
    t_ext, _ = _timed(lambda: evaluate_labels(Y.iloc[:FULL_PTBXL], p[:FULL_PTBXL], labels=list(Y.columns),
                                              hard=hard[:FULL_PTBXL], n_boot=boots, min_positives=3),
                      clock, "bootstrap")
    per_set_boot = (t_int + t_ext) * cfg.n_boot / boots
    rows.append({"step": "bootstrap", "unit": f"{boots} bootstrap replicates, internal + external (AUROC, AUPRC, F1)",
                 "unit_s": f"{t_int + t_ext:.1f}", "units": f"{len(sizes)} lead sets × {cfg.n_boot // boots}",
                 "projected_s": per_set_boot * len(sizes) / n_jobs})
    # masked games: the importance model, then 4,096 coalitions × held-out rows (missing), × background rows
    # (background) and local rows × 4,096 (local, missing masking); one batch of 128 coalitions timed
    t_model, model = _timed(lambda: lead_set_model(cfg, lead_dropout=cfg.importance_lead_dropout,
                                                   empty_dropout=cfg.importance_empty_dropout, imbalance="none",
                                                   n_jobs=n_jobs).fit(Xtr, Ytr), clock, "masked_games")
    Xte, Yte = X.iloc[n_train:n_train + n_test], Y.iloc[n_train:n_train + n_test]
    game = GlobalScoreGame(model.predict_label_proba, Xte, Yte, model.lead_groups_, masking="missing",
                           score="auroc", empty_output=model.priors_)
    masks = all_coalitions(12)[:128]
    xi = multiplier_weights(len(Xte), cfg.n_draws)

    def batch():
        vals, contrib = score_contributions(game.y, game.local(masks), "auroc")
        r = contrib.shape[1]
        return xi @ contrib.transpose(1, 0, 2).reshape(r, -1)
    t_batch, _ = _timed(batch, clock, "masked_games")
    t_pred, _ = _timed(lambda: game.local(masks), clock, "masked_games")
    per_row = t_pred / (128 * len(Xte))
    local_rows = min(cfg.local_rows, n_test)
    n_batches = 4096 // 128
    bg_batches = (cfg.background_game_evaluations or 4096) / 128  # the background game: sampled or exact
    projected = t_model + n_batches * t_batch + bg_batches * (t_batch + t_pred * (cfg.background_rows - 1)) \
        + 4096 * local_rows * per_row
    rows.append({"step": "masked_games", "unit": f"importance model fit (mean best round "
                                                 f"{np.mean(model.best_iterations_) + 1:.0f}); 128 coalitions × "
                                                 f"{len(Xte)} held-out rows",
                 "unit_s": f"fit {t_model:.1f}; batch {t_batch:.1f} (predict {t_pred:.1f})",
                 "units": f"{n_batches} batches missing + {bg_batches:g} × {cfg.background_rows} background rows + "
                          f"{local_rows} local rows × 4,096", "projected_s": projected})
    # retraining game: one coalition model, 18 labels
    t_coal, _ = _timed(lambda: _coalition_model(cfg).fit(Xtr, Ytr), clock, "retraining_game")
    n_fits = cfg.retrain_evaluations + cfg.retrain_refits  # sampled coalitions, then refits for the fit variance
    rows.append({"step": "retraining_game", "unit": f"one coalition model, 6 leads, {n_train} rows × {n_labels} labels",
                 "unit_s": f"{t_coal:.1f}", "units": f"{cfg.retrain_evaluations} coalitions + {cfg.retrain_refits} "
                                                      f"refits", "projected_s": t_coal * n_fits / n_jobs})
    for step, sec in per_record.items():
        rows.append({"step": step, "unit": "one record (measured run)", "unit_s": f"{sec:.4f}",
                     "units": f"{FULL} records", "projected_s": sec * FULL})
    sampler.stop()
    table = pd.DataFrame(rows).set_index("step")
    table["projected_h"] = (table["projected_s"] / 3600).round(2)
    table["unit_peak_rss_mb"] = [float(np.round(sampler.peak_main.get(step, np.nan))) for step in table.index]
    fits = {f"{cfg.retrain_n_estimators} trees, learning rate {cfg.retrain_learning_rate:g} (the study's)": t_coal}
    for name, kw in COALITION_MODEL_VARIANTS.items():
        fits[name], _ = _timed(lambda: _coalition_model(cfg, **kw).fit(Xtr, Ytr))
    alternatives = pd.DataFrame({"fit_s": fits}).rename_axis("coalition model").round(1)
    alternatives["retraining_game_h"] = (alternatives["fit_s"] * n_fits / n_jobs / 3600).round(2)
    return table, alternatives


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, nargs="+", default=[1000])
    ap.add_argument("--rehearsal-root", type=Path, default=Path("artifacts") / "rehearsal")
    ap.add_argument("--out", type=Path, default=Path("artifacts") / "bench_scale")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--scheduler", default=None, help="dask.distributed scheduler address")
    ap.add_argument("--local-cluster", type=int, default=None, metavar="WORKERS",
                    help="start a dask LocalCluster of WORKERS single-thread worker processes on this machine and "
                         "run every heavy step on it (the scale-out measurement: compare 1 and 2 workers)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a reference-config key (YAML value), e.g. --set n_boot=200")
    ap.add_argument("--unit-costs", action="store_true",
                    help="time each heavy step's unit of work at the full study's shapes (needs one measured N) "
                         "and project the full study from them")
    ap.add_argument("--measure-one", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--result-file", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.unit_costs:
        measured = sorted(args.out.glob("scale_*.json"), key=lambda f: json.loads(f.read_text())["records"])
        if not measured:
            raise SystemExit("--unit-costs needs a measured run first: bench_scale.py --records 1000")
        run = json.loads(measured[-1].read_text())
        n = run["records"]
        per_record = {step: run["step_seconds"].get(step, 0.0) / n
                      for step in ("index", "data_hashes", "features", "report")}
        features = args.out / f"runs_{n}" / "scale" / "features.parquet"
        speed = machine_speed_s()
        table, alternatives = unit_costs(features, per_record, args.n_jobs)
        speed_after = machine_speed_s()
        pd.set_option("display.width", 250)
        pd.set_option("display.max_colwidth", 80)
        print(table.to_string())
        total = table["projected_s"].sum()
        print(f"projected full study ({FULL} records, {args.n_jobs} workers): {total / 3600:.1f} h "
              f"(per-record steps from the N={n} run; the rest from unit costs at the full shapes)")
        print(f"machine_speed_s={speed:.2f} before, {speed_after:.2f} after the units (the N={n} run: "
              f"{run.get('machine_speed_s', 'not measured')}); the per-record steps are rescaled by neither")
        others = total - table.loc["retraining_game", "projected_s"]
        alternatives["study_h"] = (others / 3600 + alternatives["retraining_game_h"]).round(1)
        ref = StudyConfig.named("reference")
        print(f"\nretraining game with other coalition models ({ref.retrain_evaluations} coalitions + "
              f"{ref.retrain_refits} refits, {args.n_jobs} workers; study_h: the whole study with that game)")
        print(alternatives.to_string())
        return
    overrides = {key: yaml.safe_load(value) for key, _, value in (item.partition("=") for item in args.set)}
    if args.measure_one is not None:  # the child of measure_in_fresh_process
        args.result_file.write_text(json.dumps(measure(args.measure_one, args, overrides)))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    tag = json.dumps(overrides, sort_keys=True)
    last = None
    cluster = None
    if args.local_cluster:
        from distributed import LocalCluster

        cluster = LocalCluster(n_workers=args.local_cluster, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        args.scheduler = cluster.scheduler_address
    for n in args.records:
        result = measure_in_fresh_process(n, args)
        if cluster is not None:  # results are grouped by where they ran, not by the cluster's port
            result["scheduler"] = f"LocalCluster({args.local_cluster} workers)"
        suffix = "_" + hashlib.sha256(tag.encode()).hexdigest()[:8] if overrides else ""
        suffix += f"_cluster{args.local_cluster}" if cluster is not None else ""
        (args.out / f"scale_{n}{suffix}.json").write_text(json.dumps(result, indent=1))
        print(f"N={n}: {result['wall_s']} s, peak {result['peak_rss_mb']} MB; steps {result['step_seconds']}; "
              f"machine_speed_s before/after {result['machine_speed_s']}", flush=True)
        last = result
    if cluster is not None:
        cluster.close()
        args.scheduler = f"LocalCluster({args.local_cluster} workers)"
    results = [json.loads(f.read_text()) for f in sorted(args.out.glob("scale_*.json"))]
    results = [r for r in results if json.dumps(r["overrides"], sort_keys=True) == tag
               and r["n_jobs"] == args.n_jobs and r["scheduler"] == args.scheduler]
    pd.set_option("display.width", 250)
    print(f"\nreference configuration{' with ' + tag if overrides else ''}; {args.n_jobs} workers; "
          f"rehearsal N split {FULL_ARRHYTHMIA}:{FULL_PTBXL} (train : external)")
    table = growth_table(results)
    print(table.to_string())
    print(reference_fits_projection(table, overrides) or "")
    print("machine_speed_s (before, after) per N: " + ", ".join(
        f"{r['records']}: {r.get('machine_speed_s', 'not measured')}" for r in sorted(results, key=lambda r: r['records'])))
    if last is not None:
        print(f"records={last['records']} wall_s={last['wall_s']} peak_rss_mb={last['peak_rss_mb']}")


if __name__ == "__main__":
    main()
