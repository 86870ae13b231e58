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
measured N; 1 means linear) and a projection to the full 66,951 records from the two largest N.

    .venv/bin/python benchmarks/bench_scale.py --records 1000 4000 [--n-jobs 2] [--set n_boot=200 ...]

The last line reads ``records=<N> wall_s=<x> peak_rss_mb=<x>`` for the last run made. ``--set key=value``
overrides a configuration key (YAML syntax) for every N; the overrides are part of the result's identity.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import threading
import time
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


def reference_config(folders: list[Path], overrides: dict, n_jobs: int, scheduler: str | None) -> StudyConfig:
    cfg = StudyConfig.named("reference")
    raw = {**asdict(cfg), "folders": [str(f) for f in folders], **overrides, "n_jobs": n_jobs,
           "scheduler": scheduler}
    return StudyConfig(**raw)


def measure(n_records: int, args: argparse.Namespace, overrides: dict) -> dict:
    """Build the rehearsal of ``n_records`` and run the study on it; returns the per-step figures."""
    spec = RehearsalSpec.total(n_records, seed=0, ptbxl_100hz=False)
    t0 = time.perf_counter()
    rehearsal = build_rehearsal(args.rehearsal_root / str(n_records), spec, n_jobs=args.n_jobs)
    build_s = time.perf_counter() - t0
    root = args.rehearsal_root / str(n_records)
    cfg = reference_config([root / "ecg-arrhythmia", root / "ptb-xl"], overrides, args.n_jobs, args.scheduler)
    artifacts = args.out / f"runs_{n_records}"
    if artifacts.exists():  # a cold feature cache and no finished steps: every step is measured
        shutil.rmtree(artifacts)
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
            "rehearsal_reused": rehearsal.get("seconds") is not None and build_s < 5,
            "step_seconds": {k: round(v, 2) for k, v in clock.seconds.items()},
            "step_peak_rss_mb": {k: round(v, 1) for k, v in sampler.peak.items()},
            "step_peak_rss_main_mb": {k: round(v, 1) for k, v in sampler.peak_main.items()},
            "peak_rss_mb": round(max(sampler.peak.values()), 1), "overrides": overrides,
            "n_jobs": args.n_jobs, "scheduler": args.scheduler, "cpus": psutil.cpu_count()}


def growth_table(results: list[dict]) -> pd.DataFrame:
    """Per step: wall seconds and peak MB at each N, the log-log growth exponent, and the projection to the full
    size from the two largest N (wall; memory from the largest N's exponent as well)."""
    results = sorted(results, key=lambda r: r["records"])
    ns = np.array([r["records"] for r in results], float)
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
            row[f"projected_wall_s@{FULL}"] = round(float(wall[ok][-1] * (FULL / ns[ok][-1]) ** max(b2, 0.0)), 0)
            okm = np.isfinite(mem) & (mem > 0)
            if okm.sum() >= 2:
                bm = np.log(mem[okm][-1] / mem[okm][-2]) / np.log(ns[okm][-1] / ns[okm][-2])
                row[f"projected_peak_mb@{FULL}"] = round(float(mem[okm][-1] * (FULL / ns[okm][-1]) ** max(bm, 0.0)))
        rows.append(row)
    return pd.DataFrame(rows).set_index("step")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, nargs="+", default=[1000])
    ap.add_argument("--rehearsal-root", type=Path, default=Path("artifacts") / "rehearsal")
    ap.add_argument("--out", type=Path, default=Path("artifacts") / "bench_scale")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--scheduler", default=None, help="dask.distributed scheduler address")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a reference-config key (YAML value), e.g. --set n_boot=200")
    args = ap.parse_args()
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = yaml.safe_load(value)
    args.out.mkdir(parents=True, exist_ok=True)
    tag = json.dumps(overrides, sort_keys=True)
    last = None
    for n in args.records:
        result = measure(n, args, overrides)
        suffix = "_" + hashlib.sha256(tag.encode()).hexdigest()[:8] if overrides else ""
        (args.out / f"scale_{n}{suffix}.json").write_text(json.dumps(result, indent=1))
        print(f"N={n}: {result['wall_s']} s, peak {result['peak_rss_mb']} MB; steps {result['step_seconds']}",
              flush=True)
        last = result
    results = [json.loads(f.read_text()) for f in sorted(args.out.glob("scale_*.json"))]
    results = [r for r in results if json.dumps(r["overrides"], sort_keys=True) == tag
               and r["n_jobs"] == args.n_jobs and r["scheduler"] == args.scheduler]
    pd.set_option("display.width", 250)
    print(f"\nreference configuration{' with ' + tag if overrides else ''}; {args.n_jobs} workers; "
          f"rehearsal N split {FULL_ARRHYTHMIA}:{FULL_PTBXL} (train : external)")
    print(growth_table(results).to_string())
    if last is not None:
        print(f"records={last['records']} wall_s={last['wall_s']} peak_rss_mb={last['peak_rss_mb']}")


if __name__ == "__main__":
    main()
