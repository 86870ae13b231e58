"""Deep models (optional extra): learning, shapes and label order, exact reload, lead masking."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecgfeat._constants import LEADS
from ecgfeat.models.deep import DeepECGClassifier, flat_predict, prepare_signals, signal_lead_groups


def _batch(n=24, t=500, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.1, (n, 12, t)).astype(np.float32)
    y = pd.DataFrame({"v1_spike": (np.arange(n) % 2).astype(float), "always_no": 0.0})
    x[y.v1_spike.to_numpy() == 1, LEADS.index("V1"), 200:220] += 2.0  # the label lives in V1 only
    return x, y


@pytest.mark.parametrize("arch", ["attia", "xresnet1d"])
def test_overfits_a_tiny_batch_and_keeps_label_order(arch):
    x, y = _batch()
    m = DeepECGClassifier(arch=arch, epochs=25, batch_size=8, width=8, random_state=0).fit(x, y)
    assert m.history_[-1] < 0.5 * m.history_[0]  # the loss falls
    p = m.predict_label_proba(x)
    assert p.shape == (24, 2) and m.labels_ == ["v1_spike", "always_no"]
    assert ((p[:, 0] > 0.5) == (y.v1_spike == 1)).mean() == 1.0
    again = DeepECGClassifier(arch=arch, epochs=25, batch_size=8, width=8, random_state=0).fit(x, y)
    np.testing.assert_allclose(again.predict_label_proba(x), p, atol=1e-5)  # deterministic with a seed


def test_save_load_identical_outputs(tmp_path):
    x, y = _batch()
    m = DeepECGClassifier(arch="attia", epochs=2, width=8, leads="precordial").fit(x, y)
    back = DeepECGClassifier.load(m.save(tmp_path / "m"))
    np.testing.assert_array_equal(back.predict_label_proba(x), m.predict_label_proba(x))
    assert back.leads_ == ("V1", "V2", "V3", "V4", "V5", "V6")


def test_lead_masking_changes_only_masked_leads():
    from ecgfeat.importance import MaskedModelGame

    x, y = _batch(n=4, t=100)
    seen = []

    class Spy:
        labels_ = ["a"]

        def predict_label_proba(self, s):
            seen.append(np.array(s))
            return np.zeros((len(s), 1))

    groups = signal_lead_groups(100)
    game = MaskedModelGame(flat_predict(Spy(), 100), x.reshape(4, -1), groups)
    seen.clear()
    mask = np.ones(12, bool)
    mask[LEADS.index("aVR")] = False
    game(mask[None])
    got = seen[-1].reshape(4, 12, 100)
    np.testing.assert_array_equal(np.delete(got, LEADS.index("aVR"), axis=1), np.delete(x, LEADS.index("aVR"), 1))
    assert np.isnan(got[:, LEADS.index("aVR")]).all()  # masked lead: NaN, zeroed by the model's predict


def test_prepare_signals_from_real_records(data_dir, tmp_path):
    from ecgfeat.records import read_index

    index, _ = read_index(data_dir / "physionet-challenge-2021" / "WFDB_PTB")
    sig = prepare_signals(index.iloc[:2], sampling_rate=100, seconds=10, out=tmp_path / "s.npy")
    assert sig.shape == (2, 12, 1000) and np.isfinite(sig).all() and np.abs(sig).max() > 0.1
    again = np.load(tmp_path / "s.npy", mmap_mode="r")
    np.testing.assert_array_equal(again, sig)


def test_is_a_scikit_learn_estimator_with_checked_parameters():
    """clone/get_params work, and sklearn's own check: every parameter declared and checked at fit."""
    from sklearn.base import clone
    from sklearn.utils.estimator_checks import check_param_validation

    m = DeepECGClassifier(arch="attia", epochs=3, random_state=7)
    assert clone(m).get_params() == m.get_params() and m.get_params()["random_state"] == 7
    check_param_validation("DeepECGClassifier", m)


def test_a_model_saved_with_the_old_seed_parameter_still_loads(tmp_path):
    """Models saved before the parameter was renamed random_state carry params['seed']."""
    import json

    from ecgfeat.models import persistence

    x, y = _batch()
    folder = DeepECGClassifier(arch="attia", epochs=1, width=8, random_state=3).fit(x, y).save(tmp_path / "m")
    manifest = json.loads((folder / "manifest.json").read_text())
    payload = {k: manifest[k] for k in ("params", "labels", "leads", "n_samples", "weights_file", "torch",
                                        "versions")}
    assert payload["params"]["random_state"] == 3
    payload["params"]["seed"] = payload["params"].pop("random_state")
    persistence.write_manifest(folder, "DeepECGClassifier", payload, ["weights.pt"])
    back = DeepECGClassifier.load(folder)
    assert back.random_state == 3
    np.testing.assert_array_equal(back.predict_label_proba(x), DeepECGClassifier.load(folder).predict_label_proba(x))
