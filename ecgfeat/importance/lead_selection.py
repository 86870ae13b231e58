"""Reduced lead sets: best k-lead sets by Shapley ranking, greedy forward selection and exhaustive search.

All three read coalition values from one global game (:class:`GlobalScoreGame` or :class:`RetrainGame`) through
its :class:`~ecgfeat.importance.coalitions.CachedGame` (pass the one the Shapley estimate used and no coalition is
scored twice), so a coalition is scored the same way whichever search asks for it.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from .coalitions import CachedGame, coalition_code
from .games import Game
from .result import LeadShapley


def _set_scores(game: CachedGame, output: int):
    """Value of lead sets (frozensets of players) for one output of a global game, read through its cache."""
    players = list(game.players)

    def score(sets: list[frozenset]) -> list[float]:
        codes = np.array([coalition_code(players, s) for s in sets], dtype=np.int64)
        return [float(v) for v in game.values_of(codes)[:, 0, output]]
    return score


def best_lead_sets(game: Game, shapley: LeadShapley, output: str | int = 0, k_max: int = 6,
                   exhaustive_up_to: int = 6) -> pd.DataFrame:
    """For k = 1..k_max: the k-lead set chosen by Shapley ranking, by greedy forward selection, and (for
    k ≤ ``exhaustive_up_to``) the best of all C(n, k) sets, each with its value in ``game``.

    Returns columns k, method, leads ('+'-joined, canonical order), value, gap_to_best (best − value).
    """
    k_out = game.outputs.index(output) if isinstance(output, str) else output
    score = _set_scores(game if isinstance(game, CachedGame) else CachedGame(game), k_out)
    players = list(game.players)
    order = [p for p in shapley.ranking(k_out)]
    rows = []
    chosen: list[str] = []
    for k in range(1, k_max + 1):
        ranked = frozenset(order[:k])
        rows.append((k, "shapley_rank", ranked, score([ranked])[0]))
        cands = [frozenset(chosen + [p]) for p in players if p not in chosen]
        vals = score(cands)
        best = int(np.argmax(vals))
        chosen = sorted(cands[best], key=players.index)
        rows.append((k, "greedy_forward", cands[best], vals[best]))
        if k <= exhaustive_up_to:
            sets = [frozenset(c) for c in combinations(players, k)]
            vals = score(sets)
            best = int(np.argmax(vals))
            rows.append((k, "exhaustive", sets[best], vals[best]))
    df = pd.DataFrame(rows, columns=["k", "method", "set", "value"])
    df["leads"] = df["set"].map(lambda s: "+".join(sorted(s, key=players.index)))
    best = df[df.method == "exhaustive"].set_index("k")["value"]
    df["gap_to_best"] = df.apply(lambda r: best.get(r.k, np.nan) - r.value, axis=1)
    return df.drop(columns="set")
