"""Harmonised labels: one versioned table maps SNOMED-CT, PTB-XL SCP and LUDB codes onto label sets.

Label sets shipped in ``data/labels_v1.csv``:

* ``study17``  - the reference study's 17 conditions plus sinus bradycardia (SB);
* ``cinc2021`` - the 26 scored classes of the PhysioNet/CinC Challenge 2021 (30 SNOMED-CT codes, with the
  Challenge's equivalent codes merged into one class, e.g. ``CRBBB|RBBB``);
* ``ptbxl_super`` - PTB-XL's 5 diagnostic superclasses (defined for SCP codes only).

A record's value for a label is 1 if any of its codes maps to the label, 0 if its coding system can express
the label but none of its codes does, and NaN if its coding system has no code for that label at all (e.g.
LUDB never states low QRS voltage): absence of evidence is not reported as a negative.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Iterable, Sequence

import numpy as np
import pandas as pd


LABEL_TABLE_VERSION = "1"


@dataclass(frozen=True)
class LabelTable:
    """A code → label mapping, one row per (label_set, label, system, code)."""

    table: pd.DataFrame
    version: str = LABEL_TABLE_VERSION

    @classmethod
    def load(cls, version: str = LABEL_TABLE_VERSION) -> "LabelTable":
        """Load the table shipped with ecgfeat (``ecgfeat/records/data/labels_v{version}.csv``)."""
        ref = resources.files("ecgfeat.records").joinpath(f"data/labels_v{version}.csv")
        with ref.open("r", encoding="utf-8") as f:
            table = pd.read_csv(f, dtype=str, keep_default_na=False)
        return cls(table, version)

    @property
    def label_sets(self) -> list[str]:
        return list(dict.fromkeys(self.table["label_set"]))

    def labels(self, label_set: str) -> list[str]:
        """Labels of ``label_set`` in table order."""
        self._check_set(label_set)
        return list(dict.fromkeys(self.table.loc[self.table["label_set"] == label_set, "label"]))

    def names(self, label_set: str) -> dict[str, str]:
        """Label → human-readable name."""
        t = self.table[self.table["label_set"] == label_set]
        return dict(zip(t["label"], t["name"]))

    def codes(self, label_set: str, label: str, system: str) -> list[str]:
        t = self.table
        m = (t["label_set"] == label_set) & (t["label"] == label) & (t["system"] == system)
        return list(t.loc[m, "code"])

    @cached_property
    def _lookup(self) -> dict[tuple[str, str], dict[str, list[str]]]:
        out: dict[tuple[str, str], dict[str, list[str]]] = {}
        for ls, lab, system, code in self.table[["label_set", "label", "system", "code"]].itertuples(index=False):
            out.setdefault((ls, system), {}).setdefault(code, []).append(lab)
        return out

    def _check_set(self, label_set: str) -> None:
        if label_set not in self.label_sets:
            raise ValueError(f"Unknown label set {label_set!r}; choose from {sorted(self.label_sets)}")

    def expressible(self, label_set: str, system: str) -> set[str]:
        """Labels of ``label_set`` that codes of ``system`` can express."""
        t = self.table
        return set(t.loc[(t["label_set"] == label_set) & (t["system"] == system), "label"])

    def encode_codes(self, codes: Iterable[str], system: str, label_set: str) -> dict[str, float]:
        """Map one record's codes to {label: 1.0 / 0.0 / NaN}."""
        self._check_set(label_set)
        lookup = self._lookup.get((label_set, system), {})
        hit = {lab for c in codes for lab in lookup.get(c, ())}
        ok = self.expressible(label_set, system)
        return {lab: (1.0 if lab in hit else 0.0) if lab in ok else np.nan for lab in self.labels(label_set)}

    def encode(self, index: pd.DataFrame, label_set: str = "study17") -> pd.DataFrame:
        """Binary label matrix (records × labels; 1.0, 0.0 or NaN) for an index from :mod:`ecgfeat.records`.

        Uses the index's ``codes`` (list of str) and ``code_system`` columns.
        """
        self._check_set(label_set)
        labels = self.labels(label_set)
        out = np.full((len(index), len(labels)), np.nan)
        col = {lab: j for j, lab in enumerate(labels)}
        for system, rows in index.groupby("code_system", sort=False).indices.items():
            lookup = self._lookup.get((label_set, system), {})
            ok = [col[lab] for lab in labels if lab in self.expressible(label_set, system)]
            for i in rows:
                out[i, ok] = 0.0
                for c in index["codes"].iat[i]:
                    for lab in lookup.get(c, ()):
                        out[i, col[lab]] = 1.0
        return pd.DataFrame(out, index=index["record_id"].to_numpy(), columns=labels)

    def coverage(self, index: pd.DataFrame, label_set: str | None = None) -> pd.DataFrame:
        """Per dataset: distinct codes, mapped and unmapped codes (distinct and occurrences).

        A code counts as mapped if any label set (or ``label_set``) maps it.
        """
        rows = []
        for dataset, part in index.groupby("dataset", sort=False):
            system = part["code_system"].iat[0]
            t = self.table[self.table["system"] == system]
            if label_set is not None:
                t = t[t["label_set"] == label_set]
            known = set(t["code"])
            counts = Counter(c for codes in part["codes"] for c in codes)
            mapped = {c: n for c, n in counts.items() if c in known}
            unmapped = {c: n for c, n in counts.items() if c not in known}
            rows.append({
                "dataset": dataset, "code_system": system, "records": len(part),
                "distinct_codes": len(counts), "mapped_codes": len(mapped), "unmapped_codes": len(unmapped),
                "mapped_occurrences": sum(mapped.values()), "unmapped_occurrences": sum(unmapped.values()),
                "unmapped": ";".join(f"{c}({n})" for c, n in sorted(unmapped.items(), key=lambda kv: -kv[1])),
            })
        return pd.DataFrame(rows, columns=["dataset", "code_system", "records", "distinct_codes", "mapped_codes",
                                           "unmapped_codes", "mapped_occurrences", "unmapped_occurrences",
                                           "unmapped"])


__all__: Sequence[str] = ["LabelTable", "LABEL_TABLE_VERSION"]
