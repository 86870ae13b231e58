"""`LeadGroups`: which feature columns belong to which lead (each column to exactly one group)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from .._constants import LEADS, canonical_lead

SEPARATOR = "__"


@dataclass(frozen=True)
class LeadGroups:
    """An ordered mapping group name → column indices, over a fixed list of column names.

    The groups partition the columns: every column belongs to exactly one group. The default grouping has
    one group per lead (column ``"V1__qrs_dur_ms"`` → group ``V1``); coarser groupings (e.g. limb vs
    precordial) are built with :meth:`merge`.
    """

    columns: tuple[str, ...]
    groups: tuple[tuple[str, tuple[int, ...]], ...]
    n_columns: int = -1  # from ``columns``; set alone for unnamed columns (:meth:`from_blocks`)

    def __post_init__(self) -> None:
        if self.n_columns < 0:
            object.__setattr__(self, "n_columns", len(self.columns))
        elif self.columns and len(self.columns) != self.n_columns:
            raise ValueError(f"{len(self.columns)} column names for n_columns={self.n_columns}")
        seen = np.zeros(self.n_columns, dtype=int)
        for _, idx in self.groups:
            seen[list(idx)] += 1
        if (seen != 1).any():
            bad = [self.columns[i] if self.columns else i for i in np.flatnonzero(seen != 1)][:5]
            raise ValueError(f"every column must belong to exactly one group; these do not: {bad}")

    @classmethod
    def from_blocks(cls, names: Sequence[str], block_size: int) -> "LeadGroups":
        """Consecutive blocks of ``block_size`` unnamed columns, one per group: a flattened (n, leads, T) signal
        array is ``from_blocks(leads, T)`` (lead k owns columns k·T … (k+1)·T − 1)."""
        if block_size < 1:
            raise ValueError(f"block_size must be at least 1, got {block_size}")
        groups = tuple((str(name), tuple(range(k * block_size, (k + 1) * block_size)))
                       for k, name in enumerate(names))
        return cls((), groups, len(groups) * block_size)

    @classmethod
    def from_columns(cls, columns: Sequence[str], remainder: str = "error") -> "LeadGroups":
        """Group ``"{lead}__{feature}"`` columns by lead, in canonical lead order.

        remainder : 'error' (default) raises on a column without a lead prefix; 'group' puts such columns in
            one extra group named ``global``.
        """
        by_lead: dict[str, list[int]] = {}
        other: list[int] = []
        for i, c in enumerate(columns):
            prefix, sep, _ = str(c).partition(SEPARATOR)
            lead = canonical_lead(prefix) if sep else None
            if lead is None:
                other.append(i)
            else:
                by_lead.setdefault(lead, []).append(i)
        if other and remainder != "group":
            raise ValueError(f"columns without a lead prefix: {[columns[i] for i in other][:5]} "
                             "(use remainder='group' to keep them as a 'global' group)")
        groups = [(lead, tuple(by_lead[lead])) for lead in LEADS if lead in by_lead]
        if other:
            groups.append(("global", tuple(other)))
        return cls(tuple(map(str, columns)), tuple(groups))

    @property
    def names(self) -> list[str]:
        return [g for g, _ in self.groups]

    def __len__(self) -> int:
        return len(self.groups)

    def indices(self, name: str) -> np.ndarray:
        for g, idx in self.groups:
            if g == name:
                return np.asarray(idx, dtype=int)
        raise KeyError(f"no group {name!r}; groups are {self.names}")

    def columns_of(self, name: str) -> list[str]:
        if not self.columns:
            raise ValueError("these groups are over unnamed columns (from_blocks); use indices()")
        return [self.columns[i] for i in self.indices(name)]

    def column_mask(self, present: Iterable[str] | np.ndarray) -> np.ndarray:
        """Boolean mask over columns: True for columns of the present groups.

        ``present`` is an iterable of group names or a boolean vector over groups.
        """
        present = list(present)
        if present and isinstance(present[0], (bool, np.bool_)):
            if len(present) != len(self.groups):
                raise ValueError(f"expected {len(self.groups)} booleans, got {len(present)}")
            keep = {g for (g, _), p in zip(self.groups, present) if p}
        else:
            keep = {canonical_lead(p) or p for p in present}
            unknown = keep - set(self.names)
            if unknown:
                raise KeyError(f"unknown groups {sorted(unknown)}; groups are {self.names}")
        mask = np.zeros(self.n_columns, dtype=bool)
        for g, idx in self.groups:
            if g in keep:
                mask[list(idx)] = True
        return mask

    def group_matrix(self) -> np.ndarray:
        """(n_groups, n_columns) 0/1 membership matrix."""
        m = np.zeros((len(self.groups), self.n_columns), dtype=np.int8)
        for k, (_, idx) in enumerate(self.groups):
            m[k, list(idx)] = 1
        return m

    def merge(self, mapping: Mapping[str, Sequence[str]]) -> "LeadGroups":
        """Coarser grouping, e.g. ``{"limb": LIMB_LEADS, "precordial": PRECORDIAL_LEADS}``."""
        groups = []
        for name, members in mapping.items():
            idx = sorted(i for m in members for i in self.indices(canonical_lead(m) or m))
            groups.append((name, tuple(idx)))
        return LeadGroups(self.columns, tuple(groups), self.n_columns)

    def subset(self, names: Iterable[str]) -> "LeadGroups":
        """Groups restricted to ``names``, re-indexed over only their columns."""
        keep = self.column_mask([canonical_lead(n) or n for n in names])
        new_index = np.cumsum(keep) - 1
        groups = tuple((g, tuple(int(new_index[i]) for i in idx)) for g, idx in self.groups if keep[list(idx)].all())
        cols = tuple(c for c, k in zip(self.columns, keep) if k)
        return LeadGroups(cols, groups, int(keep.sum()))
