"""`LeadShapley`: Shapley values of lead groups, with standard errors and provenance."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class LeadShapley:
    """Shapley values of players (leads or lead groups).

    Attributes
    ----------
    values : ndarray (n_rows, n_players, n_outputs)
        One row per explained record for a local game, a single row for a global game.
    std_error : ndarray like ``values``; zeros for exact enumeration
    players : names of the players (e.g. 'I' … 'V6')
    outputs : names of the outputs (labels)
    base_values : (n_rows, n_outputs) v(∅): the game's value with no lead present
    full_values : (n_rows, n_outputs) v(all leads)
    n_evaluations : value-function evaluations (distinct coalitions × rows evaluated)
    method : 'exact', 'permutation', 'regression' or 'odd-regression'; seed, converged, game (description of the value function)
    """

    values: np.ndarray
    std_error: np.ndarray
    players: list[str]
    outputs: list[str]
    base_values: np.ndarray
    full_values: np.ndarray
    n_evaluations: int
    method: str
    seed: int | None = None
    converged: bool = True
    n_permutations: int = 0
    game: str = ""
    row_ids: list = field(default_factory=list)

    def efficiency_gap(self) -> np.ndarray:
        """sum_i φ_i − (v(all) − v(∅)) per row and output: exactly 0 for exact, small for Monte Carlo."""
        return self.values.sum(axis=1) - (self.full_values - self.base_values)

    def mean_abs(self) -> pd.DataFrame:
        """Mean |φ| over rows: a players × outputs table (the usual global summary of local values)."""
        return pd.DataFrame(np.abs(self.values).mean(axis=0), index=self.players, columns=self.outputs)

    def to_frame(self) -> pd.DataFrame:
        """Long table: row, player, output, value, std_error."""
        r, p, o = np.meshgrid(np.arange(self.values.shape[0]), np.arange(len(self.players)),
                              np.arange(len(self.outputs)), indexing="ij")
        ids = np.asarray(self.row_ids if self.row_ids else np.arange(self.values.shape[0]), dtype=object)
        return pd.DataFrame({"row": ids[r.ravel()], "player": np.asarray(self.players)[p.ravel()],
                             "output": np.asarray(self.outputs)[o.ravel()], "value": self.values.ravel(),
                             "std_error": self.std_error.ravel()})

    def ranking(self, output: str | int = 0) -> list[str]:
        """Players by decreasing mean value (global) or mean |value| (local) for one output."""
        k = self.outputs.index(output) if isinstance(output, str) else output
        v = self.values[:, :, k]
        score = v[0] if v.shape[0] == 1 else np.abs(v).mean(axis=0)
        return [self.players[i] for i in np.argsort(-score, kind="stable")]

    def to_shap(self, output: str | int = 0, data: np.ndarray | None = None, data_label: str | None = None):
        """A ``shap.Explanation`` for one output whose features are the players (lead names), so
        ``shap.plots.bar``, ``beeswarm`` and ``waterfall`` work unchanged (pass ``max_display=13`` to show all
        12 leads). ``data`` (n_rows, n_players) is shown as feature values (e.g. a per-lead summary such as QRS
        duration) and ``data_label`` names it with its unit, e.g. ``'QRS, ms'``: the features are then called
        ``'V1 (QRS, ms)'`` so shap's plots show what the values are."""
        import shap  # optional at import time: only needed to hand results to shap's plots

        if isinstance(output, str):
            if output not in self.outputs:
                raise KeyError(f"no output {output!r}; outputs are {self.outputs} (pass outputs= to the game to "
                               "name them)")
            k = self.outputs.index(output)
        else:
            k = output
        names = [f"{p} ({data_label})" for p in self.players] if data_label else list(self.players)
        return shap.Explanation(values=self.values[:, :, k], base_values=self.base_values[:, k],
                                data=data, feature_names=names,
                                error_std=self.std_error[:, :, k], output_names=self.outputs[k])
