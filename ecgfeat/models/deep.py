"""Raw-signal deep models (optional extra ``ecgfeat[deep]``, PyTorch): an Attia-style CNN and a 1D XResNet.

Both take (n, n_leads, n_samples) signals at 100 or 250 Hz and output one sigmoid per label. They train on the
same records, splits, harmonised labels and lead sets as the feature models. A lead subset is trained by keeping
only its channels; for lead Shapley a 12-lead model is given signals with absent leads zeroed (or replaced from
background records), through the same Shapley engine as the feature models.

References: Attia et al., Nat Med 2019 (temporal conv blocks with batch norm, pooling and spatial dropout, a
spatial conv across leads, dense layers); Strodthoff et al., IEEE JBHI 2021 (xresnet1d on PTB-XL).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .._constants import LEADS
from .._validation import Integral, Interval, Real, StrOptions, validate_params
from . import persistence
from .lead_sets import resolve_lead_set
from ..records.index import load_record
from ..records.resample import resample_signal
from ..features.lead_groups import LeadGroups


def _torch():
    try:
        import torch  # optional extra ecgfeat[deep]
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise ImportError("deep models need PyTorch: pip install 'ecgfeat[deep]' (torch==2.13.0)") from exc
    return torch


# ---------------------------------------------------------------------------------------------- signals
def prepare_signals(index: pd.DataFrame, sampling_rate: float = 100.0, seconds: float = 10.0,
                    out: str | Path | None = None) -> np.ndarray:
    """(n_records, 12, sampling_rate × seconds) float32 signals in mV, canonical lead order.

    Each record is resampled (polyphase), centre-cropped or zero-padded to ``seconds``; missing leads and NaN
    samples are 0. With ``out`` the array is a ``.npy`` memory map written record by record, so a 45,000-record
    dataset never sits in memory.
    """
    n_t = int(round(sampling_rate * seconds))
    shape = (len(index), len(LEADS), n_t)
    arr = np.lib.format.open_memmap(out, mode="w+", dtype=np.float32, shape=shape) if out is not None \
        else np.zeros(shape, dtype=np.float32)
    for i, (_, row) in enumerate(index.iterrows()):
        rec = load_record(row)
        x = np.nan_to_num(resample_signal(np.nan_to_num(rec.signal), rec.sampling_rate, sampling_rate))
        if len(x) >= n_t:
            a = (len(x) - n_t) // 2
            x = x[a:a + n_t]
        full = np.zeros((n_t, len(LEADS)), dtype=np.float32)
        cols = [LEADS.index(lead) for lead in rec.leads]
        full[: len(x), cols] = x
        arr[i] = full.T
    if out is not None:
        arr.flush()
    return arr


# ------------------------------------------------------------------------------------------ networks
def build_network(arch: str, n_leads: int, n_labels: int, n_samples: int, width: int = 32):
    """'attia' (Attia-style CNN) or 'xresnet1d' (small 1D XResNet)."""
    torch = _torch()
    nn = torch.nn

    if arch == "attia":
        class AttiaCNN(nn.Module):
            """Temporal blocks shared across leads (each lead convolved on its own), then a spatial conv
            across leads, then dense layers. Temporal convs run as Conv1d on (n·leads, 1, T) (fast on CPU)."""

            def __init__(self):
                super().__init__()
                blocks, ch = [], 1
                for k, pool in ((7, 2), (5, 4), (5, 2), (5, 4), (3, 2), (3, 2)):
                    blocks += [nn.Conv1d(ch, width, k, padding=k // 2), nn.BatchNorm1d(width), nn.ReLU(),
                               nn.MaxPool1d(pool)]
                    ch = width
                self.temporal = nn.Sequential(*blocks)
                self.spatial = nn.Sequential(nn.Conv2d(width, width, (1, n_leads)), nn.BatchNorm2d(width),
                                             nn.ReLU(), nn.Dropout2d(0.2))
                t_out = n_samples
                for pool in (2, 4, 2, 4, 2, 2):
                    t_out //= pool
                self.head = nn.Sequential(nn.Flatten(), nn.Linear(width * max(t_out, 1), 64), nn.BatchNorm1d(64),
                                          nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, n_labels))

            def forward(self, x):  # x: (n, leads, T)
                n, leads, t = x.shape
                z = self.temporal(x.reshape(n * leads, 1, t))  # (n·leads, C, T')
                z = z.reshape(n, leads, z.shape[1], z.shape[2]).permute(0, 2, 3, 1)  # (n, C, T', leads)
                return self.head(self.spatial(z))

        return AttiaCNN()
    if arch == "xresnet1d":
        def conv(ci, co, k=5, stride=1, act=True):
            layers = [nn.Conv1d(ci, co, k, stride=stride, padding=k // 2, bias=False), nn.BatchNorm1d(co)]
            return nn.Sequential(*layers, nn.ReLU()) if act else nn.Sequential(*layers)

        class Block(nn.Module):
            def __init__(self, ci, co, stride):
                super().__init__()
                self.body = nn.Sequential(conv(ci, co, stride=stride), conv(co, co, act=False))
                self.skip = nn.Sequential() if (ci == co and stride == 1) else nn.Sequential(
                    nn.AvgPool1d(stride, ceil_mode=True) if stride > 1 else nn.Identity(), conv(ci, co, 1, act=False))

            def forward(self, x):
                return torch.relu(self.body(x) + self.skip(x))

        class XResNet1d(nn.Module):
            def __init__(self):
                super().__init__()
                w = width
                self.stem = nn.Sequential(conv(n_leads, w, 5, stride=2), conv(w, w), conv(w, w), nn.MaxPool1d(3, 2, 1))
                self.blocks = nn.Sequential(Block(w, w, 1), Block(w, 2 * w, 2), Block(2 * w, 2 * w, 2),
                                            Block(2 * w, 2 * w, 2))
                self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(4 * w, n_labels))

            def forward(self, x):
                z = self.blocks(self.stem(x))
                z = torch.cat([z.mean(dim=2), z.amax(dim=2)], dim=1)  # concat pooling
                return self.head(z)

        return XResNet1d()
    raise ValueError(f"arch must be 'attia' or 'xresnet1d', got {arch!r}")


# ------------------------------------------------------------------------------------------ estimator
class DeepECGClassifier(BaseEstimator):
    """Multi-label raw-signal classifier with the fit/predict API of the feature models (a scikit-learn estimator:
    ``get_params``/``set_params``/``clone``; parameters checked at ``fit``).

    ``fit(signals, Y)`` with signals (n, 12, T) (from :func:`prepare_signals`) and Y (n, n_labels) 0/1/NaN
    (NaN labels are left out of the loss). ``leads`` keeps only those channels. Deterministic for a
    ``random_state`` on CPU. ``lr`` is AdamW's peak learning rate (one-cycle schedule); ``sampling_rate`` (Hz) is the
    rate the signals were prepared at.
    """

    _parameter_constraints: dict = {
        "arch": [StrOptions({"attia", "xresnet1d"})],
        "leads": [str, "array-like"],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "width": [Interval(Integral, 1, None, closed="left")],
        "sampling_rate": [Interval(Real, 0, None, closed="neither")],
        "random_state": [Interval(Integral, 0, None, closed="left")],
        "device": [None, str],
    }

    def __init__(self, arch: str = "xresnet1d", leads: str | Sequence[str] = "12-lead", epochs: int = 30,
                 batch_size: int = 32, lr: float = 3e-3, weight_decay: float = 1e-2, width: int = 32,
                 sampling_rate: float = 100.0, random_state: int = 0, device: str | None = None):
        self.arch = arch
        self.leads = leads
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.width = width
        self.sampling_rate = sampling_rate
        self.random_state = random_state
        self.device = device

    def _device(self):
        torch = _torch()
        return torch.device(self.device or ("cuda" if torch.cuda.is_available() else "cpu"))

    def _channels(self, signals: np.ndarray) -> np.ndarray:
        return np.asarray(signals, dtype=np.float32)[:, self.channels_, :]

    def fit(self, signals: np.ndarray, Y, verbose: bool = False) -> "DeepECGClassifier":
        validate_params(self)
        torch = _torch()
        torch.manual_seed(self.random_state)
        torch.use_deterministic_algorithms(True, warn_only=True)
        rng = np.random.default_rng(self.random_state)
        self.leads_ = resolve_lead_set(self.leads)
        self.channels_ = [LEADS.index(lead) for lead in self.leads_]
        Yv = Y.to_numpy(dtype=np.float32) if isinstance(Y, pd.DataFrame) else np.asarray(Y, np.float32)
        if Yv.ndim == 1:
            Yv = Yv[:, None]
        self.labels_ = [str(c) for c in Y.columns] if isinstance(Y, pd.DataFrame) else \
            [f"label{k}" for k in range(Yv.shape[1])]
        x = self._channels(signals)
        self.n_samples_ = x.shape[2]
        dev = self._device()
        self.net_ = build_network(self.arch, len(self.channels_), Yv.shape[1], self.n_samples_, self.width).to(dev)
        known = ~np.isnan(Yv)
        pos = np.nansum(Yv, axis=0)
        pos_weight = torch.tensor(np.clip((known.sum(0) - pos) / np.maximum(pos, 1), 1, 20), dtype=torch.float32,
                                  device=dev)
        opt = torch.optim.AdamW(self.net_.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        steps = self.epochs * int(np.ceil(len(x) / self.batch_size))
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.lr, total_steps=max(steps, 1))
        X_t = torch.from_numpy(x)
        Y_t = torch.from_numpy(np.nan_to_num(Yv))
        M_t = torch.from_numpy(known.astype(np.float32))
        self.history_ = []
        t0 = time.perf_counter()
        for epoch in range(self.epochs):
            self.net_.train()
            order = rng.permutation(len(x))
            total = 0.0
            for a in range(0, len(x), self.batch_size):
                b = order[a:a + self.batch_size]
                if len(b) < 2:
                    continue
                xb, yb, mb = X_t[b].to(dev), Y_t[b].to(dev), M_t[b].to(dev)
                logits = self.net_(xb)
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, yb, reduction="none",
                                                                            pos_weight=pos_weight)
                loss = (loss * mb).sum() / mb.sum().clamp(min=1)
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                total += loss.item() * len(b)
            self.history_.append(total / len(x))
            if verbose:
                print(f"epoch {epoch + 1}: loss {self.history_[-1]:.4f}")
        self.fit_seconds_ = time.perf_counter() - t0
        return self

    def predict_label_proba(self, signals: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """(n, n_labels) probabilities; NaN samples count as 0 (a zeroed lead)."""
        torch = _torch()
        x = np.nan_to_num(self._channels(signals))
        self.net_.eval()
        dev = self._device()
        out = []
        with torch.no_grad():
            for a in range(0, len(x), batch_size):
                out.append(torch.sigmoid(self.net_(torch.from_numpy(x[a:a + batch_size]).to(dev))).cpu().numpy())
        return np.concatenate(out).astype(np.float64) if out else np.zeros((0, len(self.labels_)))

    def n_parameters(self) -> int:
        return int(sum(p.numel() for p in self.net_.parameters()))

    def save(self, folder: str | Path) -> Path:
        """``weights.pt`` (a state dict, loaded with ``weights_only=True``) and ``manifest.json``."""
        torch = _torch()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(self.net_.state_dict(), folder / "weights.pt")
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params(deep=False).items()}
        persistence.write_manifest(folder, type(self).__name__,
                                   {"params": params, "labels": self.labels_, "leads": list(self.leads_),
                                    "n_samples": self.n_samples_, "weights_file": "weights.pt",
                                    "torch": torch.__version__,
                                    "versions": persistence.package_versions(torch=torch.__version__)}, ["weights.pt"])
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "DeepECGClassifier":
        torch = _torch()
        folder = Path(folder)
        m = persistence.read_manifest(folder, cls.__name__)
        params = dict(m["params"])
        if "seed" in params:  # saved before the parameter was named random_state
            params["random_state"] = params.pop("seed")
        est = cls(**params)
        est.leads_ = tuple(m["leads"])
        est.channels_ = [LEADS.index(lead) for lead in est.leads_]
        est.labels_ = m["labels"]
        est.n_samples_ = m["n_samples"]
        est.net_ = build_network(est.arch, len(est.channels_), len(est.labels_), est.n_samples_, est.width)
        est.net_.load_state_dict(torch.load(persistence.weight_path(folder, m["weights_file"]), weights_only=True))
        est.net_.to(est._device()).eval()
        return est


def signal_lead_groups(n_samples: int):
    """LeadGroups over flattened (12 × n_samples) signals, so the Shapley games mask whole leads of raw input."""
    return LeadGroups.from_blocks(LEADS, n_samples)


def flat_predict(model: DeepECGClassifier, n_samples: int):
    """predict(flat (n, 12·T) array) for the Shapley games; NaN (absent lead) becomes 0 (zeroed lead)."""
    def predict(Z: np.ndarray) -> np.ndarray:
        return model.predict_label_proba(np.asarray(Z, np.float32).reshape(len(Z), len(LEADS), n_samples))
    return predict
