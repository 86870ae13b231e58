"""Figures of a lead-importance study. Every function takes tables and returns a matplotlib ``Figure``.

Figures are built with ``matplotlib.figure.Figure`` directly, never through pyplot's global state or a chosen
backend: a script saves them with ``fig.savefig``, a notebook shows them inline when they are displayed (the
last expression of a cell, or ``display(fig)``), and nothing here changes the backend of the caller.
"""
from __future__ import annotations

import io
from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from .._constants import LEADS
from ..features.ecg_delineate import Delineation


class ReportFigure(Figure):
    """A matplotlib ``Figure`` that Jupyter shows inline as PNG without pyplot (``_repr_png_``)."""

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        return buf.getvalue()


def auroc_heatmap(table: pd.DataFrame, title: str, center: float | None = None, cmap: str = "viridis",
                  vmin: float = 0.5, vmax: float = 1.0, fmt: str = "{:.2f}", low: pd.DataFrame | None = None,
                  high: pd.DataFrame | None = None, row_notes: dict[str, str] | None = None) -> Figure:
    """Heatmap of a labels × lead-sets table (AUROC, or a difference with ``center=0``).

    low, high : tables like ``table`` with each cell's 95 % CI, printed under the value
    row_notes : text appended to a row's label, e.g. its n
    Values outside [vmin, vmax] take the end colours, and the colour bar then shows an arrow at that end.
    """
    fig = ReportFigure(figsize=(max(6, 0.62 * table.shape[1] + 2.5), max(2.5, 0.5 * table.shape[0] + 1.5)))
    ax = fig.subplots()
    data = table.to_numpy(dtype=float)
    if center is not None:
        lim = np.nanmax(np.abs(data - center)) if np.isfinite(data).any() else 0.1
        vmin, vmax, cmap = center - (lim or 0.1), center + (lim or 0.1), "RdBu_r"
    below, above = bool(np.nanmin(data) < vmin) if np.isfinite(data).any() else False, \
        bool(np.nanmax(data) > vmax) if np.isfinite(data).any() else False
    extend = {(True, True): "both", (True, False): "min", (False, True): "max"}.get((below, above), "neither")
    im = ax.imshow(data, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=60, ha="right", fontsize=8)
    names = [f"{r} {row_notes[r]}" if row_notes and r in row_notes else str(r) for r in table.index]
    ax.set_yticks(range(table.shape[0]), names, fontsize=7)
    lo = None if low is None else low.reindex_like(table).to_numpy(dtype=float)
    hi = None if high is None else high.reindex_like(table).to_numpy(dtype=float)
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            if np.isfinite(data[i, j]):
                text = fmt.format(data[i, j])
                if lo is not None and hi is not None and np.isfinite(lo[i, j]):
                    text += f"\n{lo[i, j]:.2f}–{hi[i, j]:.2f}"
                ax.text(j, i, text, ha="center", va="center", fontsize=5 if lo is not None else 6,
                        color="white" if (data[i, j] - vmin) / (vmax - vmin + 1e-12) < 0.5 else "black")
    bar = fig.colorbar(im, ax=ax, fraction=0.03, extend=extend)
    if extend != "neither":
        bar.set_label("arrow: values beyond the scale", fontsize=7)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def _panel_grid(n: int, width: float = 3.4, height: float = 2.5):
    ncol = min(4, max(n, 1))
    nrow = int(np.ceil(max(n, 1) / ncol))
    fig = ReportFigure(figsize=(max(width * ncol, 5.5), height * nrow))
    return fig, fig.subplots(nrow, ncol, squeeze=False)


def lead_shapley_bars(values: pd.DataFrame, errors: pd.DataFrame | None, title: str,
                      highlight: dict[str, str] | None = None) -> Figure:
    """One bar chart per label (rows of ``values``: labels; columns: leads) with ±1.96 SE error bars.
    ``highlight`` (label → lead) colours a lead expected to matter (e.g. planted)."""
    labels = list(values.index)
    fig, axes = _panel_grid(len(labels))
    for ax, lab in zip(axes.ravel(), labels):
        v = values.loc[lab]
        e = None if errors is None else 1.96 * errors.loc[lab].reindex(v.index).to_numpy()
        colors = ["tab:red" if highlight and highlight.get(lab) == lead else "tab:blue" for lead in v.index]
        ax.bar(range(len(v)), v.to_numpy(), yerr=e, color=colors, capsize=2)
        ax.set_xticks(range(len(v)), v.index, rotation=90, fontsize=7)
        ax.axhline(0, color="black", lw=0.5)
        ax.set_title(lab, fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
    for ax in axes.ravel()[len(labels):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def lead_importance_bars(table: pd.DataFrame, title: str, highlight: dict[str, str] | None = None,
                         leads: Sequence[str] | None = None) -> Figure:
    """Lead importance with 95 % CIs, one panel per label, from the long table ``tables/lead_importance.csv``
    (one value function, ranked labels). Each panel's title gives the held-out n (positives/negatives); a lead
    whose CI lies above 0 after Holm's correction over the leads is drawn solid, the others hatched."""
    labels = list(dict.fromkeys(table["label"]))
    fig, axes = _panel_grid(len(labels), 3.6, 2.7)
    for ax, lab in zip(axes.ravel(), labels):
        part = table[table["label"] == lab].set_index("lead")
        if leads is not None:
            part = part.reindex([lead for lead in leads if lead in part.index])
        est = part["estimate"].to_numpy()
        err = np.vstack([est - part["ci_low"].to_numpy(), part["ci_high"].to_numpy() - est])
        supported = (part["p_holm"] < 0.05).to_numpy()
        colors = ["tab:red" if highlight and highlight.get(lab) == lead else "tab:blue" for lead in part.index]
        bars = ax.bar(range(len(part)), est, yerr=err, color=colors, capsize=2, error_kw={"lw": 0.8})
        for bar, ok in zip(bars, supported):
            if not ok:
                bar.set_alpha(0.45)
                bar.set_hatch("//")
        ax.set_xticks(range(len(part)), part.index, rotation=90, fontsize=7)
        ax.axhline(0, color="black", lw=0.5)
        first = part.iloc[0]
        ax.set_title(f"{lab} (held-out n+={int(first.n_pos_heldout)}, n−={int(first.n_neg_heldout)})", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    for ax in axes.ravel()[len(labels):]:
        ax.axis("off")
    fig.suptitle(f"{title}\nsolid: the lead adds to the score (Holm-adjusted over leads, p < 0.05); hatched: not "
                 "supported", fontsize=9)
    fig.tight_layout()
    return fig


def masked_vs_retrained(table: pd.DataFrame, title: str, notes: dict[str, str] | None = None) -> Figure:
    """Held-out AUROC of each coalition evaluated by the retraining game: the masked model (x) vs a model retrained
    on the coalition (y), one panel per label, with the identity line. ``notes``: text per label for its panel
    title (e.g. its n)."""
    labels = list(dict.fromkeys(table["label"]))
    fig, axes = _panel_grid(len(labels), 3.2, 3.0)
    for ax, lab in zip(axes.ravel(), labels):
        part = table[table["label"] == lab]
        sc = ax.scatter(part["masked_auroc"], part["retrained_auroc"], c=part["n_leads"], cmap="viridis", s=12,
                        vmin=0, vmax=12)
        lo = float(np.nanmin(part[["masked_auroc", "retrained_auroc"]].to_numpy())) - 0.02
        ax.plot([lo, 1], [lo, 1], color="grey", lw=0.6, ls="--")
        ax.set_xlabel("masked model AUROC", fontsize=7)
        ax.set_ylabel("retrained model AUROC", fontsize=7)
        note = f", {notes[lab]}" if notes and lab in notes else ""
        ax.set_title(f"{lab} ({len(part)} coalitions{note})", fontsize=7)
        ax.set_aspect("equal", adjustable="datalim")
        ax.tick_params(labelsize=7)
    fig.subplots_adjust(wspace=0.45)
    fig.colorbar(sc, ax=axes.ravel().tolist(), fraction=0.03, label="leads in coalition")
    for ax in axes.ravel()[len(labels):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    return fig


def performance_vs_k(best_sets: pd.DataFrame, title: str, ylabel: str = "AUROC") -> Figure:
    """Value of the best k-lead set per label: Shapley-ranked vs greedy vs exhaustive, k = 1…6."""
    labels = list(dict.fromkeys(best_sets["label"]))
    ncol = min(4, len(labels))
    nrow = int(np.ceil(len(labels) / ncol))
    fig = ReportFigure(figsize=(3.4 * ncol, 2.6 * nrow))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    styles = {"shapley_rank": ("o-", "Shapley-ranked"), "greedy_forward": ("s--", "greedy forward"),
              "exhaustive": ("^:", "best (exhaustive)")}
    for ax, lab in zip(axes.ravel(), labels):
        part = best_sets[best_sets["label"] == lab]
        for method, (style, name) in styles.items():
            m = part[part["method"] == method]
            if {"ci_low", "ci_high"} <= set(m.columns):
                value = m["value"].to_numpy(float)  # arrays: one-element Series are deprecated as scalars
                ax.errorbar(m["k"].to_numpy(), value, yerr=np.vstack([value - m["ci_low"].to_numpy(float),
                                                                       m["ci_high"].to_numpy(float) - value]),
                            fmt=style, label=name, ms=4, capsize=2, lw=0.8)
            else:
                ax.plot(m["k"], m["value"], style, label=name, ms=4)
        first = part.iloc[0]
        ax.set_title(f"{lab} (held-out n+={int(first.n_pos_heldout)}, n−={int(first.n_neg_heldout)})"
                     if "n_pos_heldout" in part else lab, fontsize=8)
        ax.set_xlabel("leads (k)", fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
    axes.ravel()[0].legend(fontsize=7)
    for ax in axes.ravel()[len(labels):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def mc_convergence(curve: pd.DataFrame, title: str) -> Figure:
    """Monte Carlo error and reported standard error vs value-function evaluations (log–log), one colour per
    estimator when ``curve`` has a ``method`` column."""
    fig = ReportFigure(figsize=(5.5, 3.8))
    ax = fig.subplots()
    groups = curve.groupby("method", sort=False) if "method" in curve else [("", curve)]
    for (method, part), color in zip(groups, ("C0", "C1", "C2", "C3", "C4")):
        tag = f"{method}: " if method else ""
        for col, style, name in (("error", "o-", "max |MC − exact|"), ("max_se", "s--", "max reported SE"),
                                 ("shap_error", "^:", "shap PermutationExplainer error")):
            if col in part:
                ax.loglog(part["evaluations"], part[col], style, color=color, label=tag + name, ms=4)
    ax.set_xlabel("value-function evaluations (coalitions)")
    ax.set_ylabel("error (fraction of |v(all) − v(∅)|)")
    ax.axhline(0.01, color="grey", lw=0.5, ls=":")
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


#: The clinical 3 × 4 layout: rows of simultaneous 2.5 s segments, columns I–III, aVR–aVF, V1–V3, V4–V6.
PAPER_LAYOUT = (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6"))
PAPER_SPEED_MM_S = 25.0
PAPER_GAIN_MM_MV = 10.0
_ROW_MM = 35.0  # height of one row of the printout (3.5 mV)
_PULSE_MM = 10.0  # room at the start of each row for the 1 mV calibration pulse
#: Fiducial points drawn by :func:`ecg_paper` (marker, colour, name).
_FIDUCIAL_STYLE = {"p_peak": ("v", "tab:green", "P peak"), "qrs_on": ("|", "tab:blue", "QRS onset"),
                   "r_peak": ("^", "tab:red", "R peak"), "s_peak": ("v", "tab:pink", "S peak"),
                   "qrs_off": ("|", "tab:purple", "QRS offset"), "t_on": ("|", "tab:olive", "T onset"),
                   "t_peak": ("v", "tab:orange", "T peak"), "t_off": ("|", "tab:brown", "T offset")}


def _paper_grid(ax, width_mm: float, height_mm: float) -> None:
    """1 mm squares (thin) and 5 mm squares (bold) over width × height mm."""
    for step, lw, colour in ((1.0, 0.25, "#f6c9c9"), (5.0, 0.6, "#e89b9b")):
        xs = np.arange(0, width_mm + 1e-9, step)
        ys = np.arange(0, height_mm + 1e-9, step)
        segs = [((x, 0), (x, height_mm)) for x in xs] + [((0, y), (width_mm, y)) for y in ys]
        ax.add_collection(LineCollection(segs, colors=colour, linewidths=lw, zorder=0))


def _calibration_pulse(ax, y0: float) -> None:
    """The standard 1 mV, 200 ms calibration pulse at the start of a row."""
    w = 0.2 * PAPER_SPEED_MM_S
    h = PAPER_GAIN_MM_MV
    x = [1.0, 3.0, 3.0, 3.0 + w, 3.0 + w, 3.0 + w + 2.0]
    ax.plot(x, [y0, y0, y0 + h, y0 + h, y0, y0], color="black", lw=0.8)


def ecg_paper(signal: np.ndarray, sampling_rate: float, leads: Sequence[str] = LEADS, title: str = "",
              fiducials: Delineation | None = None, rhythm_lead: str = "II", seconds: float = 10.0) -> Figure:
    """A 12-lead ECG as clinicians read it: 25 mm/s, 10 mm/mV on a square 1 mm / 5 mm grid, the 3 × 4 layout
    (2.5 s per lead, columns I–III, aVR–aVF, V1–V3, V4–V6) plus a full-length rhythm strip of ``rhythm_lead``,
    and a 1 mV calibration pulse at the start of every row.

    signal : (n_samples, n_leads) in mV, columns named by ``leads``
    fiducials : the :class:`Delineation` of the same signal (``ecg_delineate(signal, sampling_rate)``) to mark
        P peaks, QRS onsets, R, QRS offsets, T peaks and T offsets
    seconds : length of the printout (10 s is the standard; a shorter record fills what it has)
    """
    signal = np.asarray(signal, dtype=float)
    leads = list(leads)
    if signal.ndim != 2 or signal.shape[1] != len(leads):
        raise ValueError(f"signal has shape {signal.shape}; expected (n_samples, {len(leads)}) for leads {leads}")
    n = min(len(signal), int(round(seconds * sampling_rate)))
    seg_s = seconds / 4
    width = _PULSE_MM + seconds * PAPER_SPEED_MM_S
    rows = [*PAPER_LAYOUT, (rhythm_lead,)]
    height = _ROW_MM * len(rows)
    fig = ReportFigure(figsize=(width / 25.4 + 0.4, height / 25.4 + 0.9))
    ax = fig.add_axes((0.2 / (width / 25.4 + 0.4), 0.5 / (height / 25.4 + 0.9),
                       (width / 25.4) / (width / 25.4 + 0.4), (height / 25.4) / (height / 25.4 + 0.9)))
    _paper_grid(ax, width, height)
    seen_marks: set[str] = set()
    for r, row in enumerate(rows):
        y0 = height - (r + 0.6) * _ROW_MM  # baseline of this row
        _calibration_pulse(ax, y0)
        for c, lead in enumerate(row):
            t0, t1 = (0.0, seconds) if len(row) == 1 else (c * seg_s, (c + 1) * seg_s)
            a, b = int(round(t0 * sampling_rate)), min(n, int(round(t1 * sampling_rate)))
            x0 = _PULSE_MM + t0 * PAPER_SPEED_MM_S
            ax.text(x0 + 1.0, y0 + 0.38 * _ROW_MM, lead, fontsize=8, fontweight="bold", va="top")
            if c > 0:  # the usual short separator between segments
                ax.plot([x0, x0], [y0 - 2.5, y0 + 2.5], color="black", lw=0.8)
            if lead not in leads or b <= a:
                ax.text(x0 + 5.0, y0, "not recorded", fontsize=7, color="grey", va="center")
                continue
            j = leads.index(lead)
            x = signal[:, j]
            level = np.nanmedian(x[:n]) if np.isfinite(x[:n]).any() else 0.0
            t = np.arange(a, b) / sampling_rate
            xs = _PULSE_MM + t * PAPER_SPEED_MM_S
            # tall complexes run into the row above, as on a printout, instead of being cut off
            ax.plot(xs, y0 + (x[a:b] - level) * PAPER_GAIN_MM_MV, color="black", lw=0.6, clip_on=False)
            if fiducials is None:
                continue
            pts = fiducials.lead(j)
            for name, (marker, colour, label) in _FIDUCIAL_STYLE.items():
                idx = pts[name]
                idx = idx[np.isfinite(idx)].astype(int)
                idx = idx[(idx >= a) & (idx < b)]
                if not len(idx):
                    continue
                ax.plot(_PULSE_MM + idx / sampling_rate * PAPER_SPEED_MM_S,
                        y0 + (x[idx] - level) * PAPER_GAIN_MM_MV, ls="none", marker=marker,
                        ms=7 if marker == "|" else 4, mew=1.3 if marker == "|" else 1, color=colour, clip_on=False,
                        label=None if name in seen_marks else label, zorder=3)
                seen_marks.add(name)
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    footer = f"{PAPER_SPEED_MM_S:.0f} mm/s   {PAPER_GAIN_MM_MV:.0f} mm/mV   {sampling_rate:g} Hz   " \
             f"rhythm strip: {rhythm_lead}"
    fig.text(0.01, 0.01, footer, fontsize=7)
    if seen_marks:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(seen_marks), fontsize=7, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10, y=0.995)
    return fig


__all__ = ["ReportFigure", "auroc_heatmap", "ecg_paper", "lead_shapley_bars", "mc_convergence", "performance_vs_k"]
