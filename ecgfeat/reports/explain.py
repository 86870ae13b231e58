"""One record explained: lead Shapley waterfalls of its predicted probabilities and its ECG with fiducial points."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..features import ecg_delineate
from ..importance import MaskedModelGame, exact_shapley
from ..records import load_record
from .plots import ecg_paper

#: The per-lead feature shown beside each lead in the waterfall, and its label with unit.
WATERFALL_FEATURE = ("qrs_dur_ms", "QRS, ms")


def explain_record(model, features_row: pd.DataFrame, index_row: pd.Series, labels: Sequence[str], out: Path,
                   ) -> list[Path]:
    """Write ``<record>_ecg.png`` (ECG paper with fiducial points) and ``<record>_<label>_waterfall.png`` (exact
    lead Shapley values of P(label), absent leads missing) for each label; return the paths written."""
    import matplotlib.pyplot as plt  # shap's waterfall draws on pyplot's current figure
    import shap

    out.mkdir(parents=True, exist_ok=True)
    rid = str(index_row["record_id"])
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in rid)
    record = load_record(index_row)
    signal = record.signal.astype(np.float64)
    delineation = ecg_delineate(signal, record.sampling_rate, anchors="lead")
    written = []
    fig = ecg_paper(signal, record.sampling_rate, record.leads, fiducials=delineation,
                    title=f"{rid} ({index_row.get('dataset', '')}): ecgfeat fiducial points, leads delineated "
                          "independently")
    path = out / f"{safe}_ecg.png"
    fig.savefig(path, dpi=150)
    written.append(path)

    game = MaskedModelGame(model.predict_label_proba, features_row, model.lead_groups_, outputs=model.labels_)
    phi = exact_shapley(game)
    feature, unit = WATERFALL_FEATURE
    data = np.array([[features_row[f"{lead}__{feature}"].iloc[0] if f"{lead}__{feature}" in features_row
                      else np.nan for lead in phi.players]])
    for label in labels:
        exp = phi.to_shap(label, data=data, data_label=unit)[0]
        shap.plots.waterfall(exp, max_display=len(phi.players) + 1, show=False)
        fig = plt.gcf()
        fig.suptitle(f"{rid}: P({label}) = {phi.full_values[0, phi.outputs.index(label)]:.3f} explained by lead\n"
                     f"(exact lead Shapley; E[f(X)] = model output with every lead missing)", fontsize=9)
        fig.tight_layout()
        path = out / f"{safe}_{label}_waterfall.png"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        written.append(path)
    return written
