"""Scoring fiducial points against manual annotations (LUDB): sensitivity, PPV and timing error.

For each fiducial kind, annotations and detections are matched one to one, closest pairs first, within a
tolerance (default 150 ms). LUDB annotates only the middle of each record, so scoring stays inside each
lead's annotated window [first annotated sample, last annotated sample]: detections up to one tolerance
outside it may match an annotation at its edge, but unmatched detections outside it are not false positives. Nor
is an unmatched detection at a wave LUDB annotated without that point (:data:`UNANNOTATED_REACH_MS`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: ecgfeat fiducial name → the LUDB wave and point it is scored against. LUDB's QRS "peak" is the R peak; the
#: complex's largest deflection (``qrs_peak``, the beat's anchor) is scored against it too, to show how far the two
#: differ.
FIDUCIALS = {"p_on": ("P", "onset"), "p_peak": ("P", "peak"), "p_off": ("P", "offset"),
             "qrs_on": ("QRS", "onset"), "r_peak": ("QRS", "peak"), "qrs_peak": ("QRS", "peak"),
             "qrs_off": ("QRS", "offset"), "t_on": ("T", "onset"), "t_peak": ("T", "peak"), "t_off": ("T", "offset")}


#: CSE tolerances (ms): two standard deviations of the CSE referees' own spread for the boundaries they rated, the
#: limits delineators are usually judged against (as tabulated by Martínez et al., IEEE TBME 2004, "2 s_CSE").
CSE_TOLERANCES_MS = {"p_on": 10.2, "p_off": 12.7, "qrs_on": 6.5, "qrs_off": 11.6, "t_off": 30.6}
#: LUDB leaves some boundaries of an annotated wave unmarked (onset or offset -1): an unmatched detection of that
#: point whose nearest wave of the type is such a wave, within this distance (ms) of its marked points, is not
#: scored (it can be neither right nor wrong)
UNANNOTATED_REACH_MS = 150.0


def match_points(ref: np.ndarray, det: np.ndarray, tolerance: float,
                 counted: np.ndarray | None = None) -> tuple[np.ndarray, int, int]:
    """Greedy one-to-one matching, closest first. Returns (errors det-ref of matches, n_fn, n_fp).

    ``counted`` (bool per detection) marks detections that count as false positives when unmatched.
    """
    ref = np.asarray(ref, float)
    det = np.asarray(det, float)
    counted = np.ones(len(det), bool) if counted is None else np.asarray(counted, bool)
    if len(ref) == 0 or len(det) == 0:
        return np.zeros(0), len(ref), int(counted.sum())
    d = np.abs(det[None, :] - ref[:, None])
    pairs = np.argwhere(d <= tolerance)
    order = np.argsort(d[pairs[:, 0], pairs[:, 1]], kind="stable")
    used_r, used_d, errs = set(), set(), []
    for k in order:
        i, j = pairs[k]
        if i in used_r or j in used_d:
            continue
        used_r.add(i)
        used_d.add(j)
        errs.append(det[j] - ref[i])
    unmatched = np.ones(len(det), bool)
    unmatched[list(used_d)] = False
    return np.asarray(errs), len(ref) - len(errs), int((unmatched & counted).sum())


_KIND_COLUMN = {"onset": 0, "peak": 1, "offset": 2}


@dataclass
class ScoreAccumulator:
    """Collects matches per (method, fiducial, lead) and summarises them."""

    sampling_rate: float
    tolerance_ms: float = 150.0
    rows: dict = field(default_factory=dict)
    #: per-fiducial tolerances (ms) replacing ``tolerance_ms`` for the fiducials named, e.g. :data:`CSE_TOLERANCES_MS`
    tolerances_ms: dict[str, float] | None = None

    @property
    def label(self) -> str:
        return "CSE 2 SD" if self.tolerances_ms == CSE_TOLERANCES_MS else \
            f"{self.tolerance_ms:g} ms" + (" (per fiducial)" if self.tolerances_ms else "")

    def add(self, method: str, lead: str, annotations: pd.DataFrame, detections: dict[str, np.ndarray]) -> None:
        """``annotations`` from :func:`ecgfeat.records.ludb.read_annotations`; ``detections`` name → samples."""
        waves = annotations["wave"].to_numpy()
        marks = annotations[["onset", "peak", "offset"]].to_numpy(float)  # waves × (onset, peak, offset), −1 absent
        all_pts = marks[marks >= 0]
        lo, hi = all_pts.min(), all_pts.max()
        of_wave = {wave: waves == wave for wave in {w for w, _ in FIDUCIALS.values()}}
        for name, (wave, kind) in FIDUCIALS.items():
            tol = (self.tolerances_ms or {}).get(name, self.tolerance_ms) * self.sampling_rate / 1000
            wave_marks = marks[of_wave[wave]]
            ref = wave_marks[:, _KIND_COLUMN[kind]]
            ref = ref[ref >= 0]
            det = np.asarray(detections.get(name, []), float)
            det = det[np.isfinite(det) & (det >= lo - tol) & (det <= hi + tol)]
            # a detection just outside the window may match an edge annotation, but an unmatched one there
            # is not a false positive: nothing outside the window was annotated; nor is one at a wave annotated
            # without this point
            counted = (det >= lo) & (det <= hi) & ~self._at_unannotated(det, wave_marks, _KIND_COLUMN[kind])
            errs, fn, fp = match_points(ref, det, tol, counted=counted)
            acc = self.rows.setdefault((method, name, lead), [[], 0, 0, 0])
            acc[0].extend((errs * 1000 / self.sampling_rate).tolist())
            acc[1] += len(errs)
            acc[2] += fn
            acc[3] += fp

    def _at_unannotated(self, det: np.ndarray, wave_marks: np.ndarray, column: int) -> np.ndarray:
        """Whether each detection lies at a wave annotated without the point in ``column`` of ``wave_marks`` (the
        (onset, peak, offset) of every wave of one type, −1 where absent): that wave is the nearest of its type (by
        its annotated points) and within :data:`UNANNOTATED_REACH_MS` of them."""
        if not len(det) or not len(wave_marks) or not (wave_marks[:, column] < 0).any():
            return np.zeros(len(det), bool)
        points = np.where(wave_marks < 0, np.inf, wave_marks)
        distance = np.abs(det[:, None, None] - points[None, :, :]).min(axis=2)  # detections × waves
        nearest = np.argmin(distance, axis=1)
        reach = UNANNOTATED_REACH_MS * self.sampling_rate / 1000
        return (wave_marks[nearest, column] < 0) & (distance[np.arange(len(det)), nearest] <= reach)

    def summary(self, by_lead: bool = False) -> pd.DataFrame:
        """Sensitivity, PPV (%), mean and SD of the error (ms) per method and fiducial (and lead)."""
        groups: dict = {}
        for (method, name, lead), (errs, tp, fn, fp) in self.rows.items():
            key = (method, name, lead) if by_lead else (method, name)
            g = groups.setdefault(key, [[], 0, 0, 0])
            g[0].extend(errs)
            g[1] += tp
            g[2] += fn
            g[3] += fp
        out = []
        for key, (errs, tp, fn, fp) in groups.items():
            e = np.asarray(errs)
            out.append((*key, tp, fn, fp, 100 * tp / max(tp + fn, 1), 100 * tp / max(tp + fp, 1),
                        float(e.mean()) if len(e) else np.nan, float(e.std()) if len(e) else np.nan))
        cols = ["method", "fiducial"] + (["lead"] if by_lead else []) + \
            ["tp", "fn", "fp", "sensitivity_pct", "ppv_pct", "error_mean_ms", "error_sd_ms"]
        return pd.DataFrame(out, columns=cols)
