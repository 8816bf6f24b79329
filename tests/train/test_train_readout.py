"""State read-out: fitted on a store's frames it reads the held-out state; it survives a checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from jepa_wm.cli.main import main
from jepa_wm.data.store import TrajectoryStore
from jepa_wm.models.checkpoint import load_world_model, save_checkpoint
from jepa_wm.models.config import model_config
from jepa_wm.models.world_model import JepaWorldModel
from jepa_wm.train.readout import ReadoutConfig, fit_state_readout
from tests.train.synth import make_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(tmp_path_factory.mktemp("ro") / "sq.zarr", episodes=40, length=12, seed=3)


def _model(store: Path) -> JepaWorldModel:
    torch.manual_seed(0)
    model = JepaWorldModel(model_config("tiny", {"action_dim": 2, "state_dim": 2}))
    st = TrajectoryStore.open(store)  # read-only: the stats from the committed rows
    model.set_normalization(
        {k: {"mean": st.read_all(k).mean(0).tolist(), "std": st.read_all(k).std(0).tolist()}
         for k in ("action", "state")}
    )  # fmt: skip
    return model.eval()


def test_readout_reads_held_out_states_and_round_trips(store: Path, tmp_path: Path) -> None:
    model = _model(store)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    report = fit_state_readout(model, [store], ReadoutConfig(hidden=64, steps=600))
    err = report["held_out"]["position_error_m"]
    base = report["held_out_mean_baseline"]["position_error_m"]
    assert err < 0.5 * base, report  # the square's position is in the frames
    assert model.config.state_readout == 64 and model.has_state_readout
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the world model is untouched
    save_checkpoint(model, tmp_path / "ck")
    loaded = load_world_model(tmp_path / "ck")
    z = model.encode(torch.from_numpy(TrajectoryStore.open(store).read_all("rgb")[:5])[:, None])
    with torch.no_grad():
        assert torch.allclose(loaded.read_state(z[:, 0]), model.read_state(z[:, 0]))


def test_fit_readout_verb_writes_a_checkpoint(store: Path, tmp_path: Path, capsys) -> None:
    src = tmp_path / "src"
    save_checkpoint(_model(store), src)
    out = tmp_path / "out"
    rc = main(
        ["fit-readout", "--checkpoint", str(src), "--data", str(store), "--out", str(out),
         "--hidden", "32", "--steps", "50", "--json"]
    )  # fmt: skip
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    assert report["steps"] == 50 and "held_out" in report
    assert load_world_model(out).has_state_readout
    assert json.loads((out / "model.json").read_text())["meta"]["state_readout"]["steps"] == 50
