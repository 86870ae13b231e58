"""Figures of a lead-importance study. Every function takes tables and returns a matplotlib Figure."""
from __future__ import annotations

from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .._constants import LEADS  # noqa: E402


def auroc_heatmap(table: pd.DataFrame, title: str, center: float | None = None, cmap: str = "viridis",
                  vmin: float = 0.5, vmax: float = 1.0, fmt: str = "{:.2f}") -> plt.Figure:
    """Heatmap of a labels × lead-sets table (AUROC, or a difference with ``center=0``)."""
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * table.shape[1] + 2), max(2.5, 0.42 * table.shape[0] + 1.5)))
    data = table.to_numpy(dtype=float)
    if center is not None:
        lim = np.nanmax(np.abs(data - center)) or 0.1
        vmin, vmax, cmap = center - lim, center + lim, "RdBu_r"
    im = ax.imshow(data, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(table.shape[0]), table.index, fontsize=8)
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            if np.isfinite(data[i, j]):
                ax.text(j, i, fmt.format(data[i, j]), ha="center", va="center", fontsize=6,
                        color="white" if (data[i, j] - vmin) / (vmax - vmin + 1e-12) < 0.5 else "black")
    fig.colorbar(im, ax=ax, fraction=0.03)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def lead_shapley_bars(values: pd.DataFrame, errors: pd.DataFrame | None, title: str,
                      highlight: dict[str, str] | None = None) -> plt.Figure:
    """One bar chart per label (rows of ``values``: labels; columns: leads) with ±1.96 SE error bars.
    ``highlight`` (label → lead) colours a lead expected to matter (e.g. planted)."""
    labels = list(values.index)
    ncol = min(4, len(labels))
    nrow = int(np.ceil(len(labels) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.4 * ncol, 2.5 * nrow), squeeze=False)
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


def performance_vs_k(best_sets: pd.DataFrame, title: str, ylabel: str = "AUROC") -> plt.Figure:
    """Value of the best k-lead set per label: Shapley-ranked vs greedy vs exhaustive, k = 1…6."""
    labels = list(dict.fromkeys(best_sets["label"]))
    ncol = min(4, len(labels))
    nrow = int(np.ceil(len(labels) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.4 * ncol, 2.6 * nrow), squeeze=False)
    styles = {"shapley_rank": ("o-", "Shapley-ranked"), "greedy_forward": ("s--", "greedy forward"),
              "exhaustive": ("^:", "best (exhaustive)")}
    for ax, lab in zip(axes.ravel(), labels):
        part = best_sets[best_sets["label"] == lab]
        for method, (style, name) in styles.items():
            m = part[part["method"] == method]
            ax.plot(m["k"], m["value"], style, label=name, ms=4)
        ax.set_title(lab, fontsize=9)
        ax.set_xlabel("leads (k)", fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
    axes.ravel()[0].legend(fontsize=7)
    for ax in axes.ravel()[len(labels):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def mc_convergence(curve: pd.DataFrame, title: str) -> plt.Figure:
    """Monte Carlo error and reported standard error vs value-function evaluations (log–log), one colour per
    estimator when ``curve`` has a ``method`` column."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    groups = curve.groupby("method", sort=False) if "method" in curve else [("", curve)]
    for (method, part), color in zip(groups, ("C0", "C1", "C2", "C3")):
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


def ecg_paper(signal: np.ndarray, sampling_rate: float, leads: Sequence[str] = LEADS, title: str = "",
              seconds: float = 10.0) -> plt.Figure:
    """12 leads on ECG paper (1 mm = 40 ms horizontally, 0.1 mV vertically; bold lines every 5 mm)."""
    n = min(len(signal), int(seconds * sampling_rate))
    t = np.arange(n) / sampling_rate
    fig, axes = plt.subplots(len(leads), 1, figsize=(12, 1.05 * len(leads)), sharex=True)
    for ax, lead, x in zip(np.atleast_1d(axes), leads, np.asarray(signal)[:n].T):
        lo, hi = np.nanmin(x) - 0.2, np.nanmax(x) + 0.2
        for v in np.arange(np.floor(lo * 10) / 10, hi, 0.1):
            ax.axhline(v, color="#f4b6b6", lw=0.8 if round(v * 10) % 5 == 0 else 0.3, zorder=0)
        for s in np.arange(0, t[-1], 0.04):
            ax.axvline(s, color="#f4b6b6", lw=0.8 if round(s / 0.04) % 5 == 0 else 0.3, zorder=0)
        ax.plot(t, x, color="black", lw=0.7)
        ax.set_ylim(lo, hi)
        ax.set_ylabel(lead, rotation=0, labelpad=15, fontsize=8)
        ax.set_yticks([])
    np.atleast_1d(axes)[-1].set_xlabel("s")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
