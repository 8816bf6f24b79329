"""TrainState (what --resume restores) and the Objective interface the trainer calls."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from jepa_wm.errors import CheckpointError
from jepa_wm.models.world_model import JepaWorldModel
from jepa_wm.train.config import load_train_config
from jepa_wm.train.data import Batch
from jepa_wm.train.objectives import Objective, PredictionObjective
from jepa_wm.train.state import TrainState
from jepa_wm.train.trainer import _build_objective, _optimizer, stages

MASKED = {"mode": "two_stage", "objective": "masked", "mask_pred_dim": 16, "mask_pred_heads": 2}


def _stepped(cfg, stage: str, seed: int = 0) -> tuple[Objective, torch.optim.Optimizer]:
    """An objective of ``stage`` and its optimizer after one step on random frames."""
    torch.manual_seed(seed)
    objective = _build_objective(JepaWorldModel(cfg.model_config(2, 2)), cfg, stage)
    opt = _optimizer(objective, cfg, stage)
    rgb = torch.randint(0, 255, (2, cfg.clip_len, 64, 64, 3), dtype=torch.uint8)
    out = objective(rgb, torch.randn(2, cfg.clip_len, 2), torch.randn(2, cfg.clip_len - 1, 2))
    out["loss"].backward()
    opt.step()
    objective.update_target(0.5)
    return objective, opt


def test_train_state_round_trips_through_the_run_dir(fast_cfg: Path, tmp_path: Path) -> None:
    cfg = load_train_config(fast_cfg, MASKED)
    objective, opt = _stepped(cfg, "pretrain")
    state = TrainState(stage=0, step=7, best_val=math.inf, nonfinite_dropped=3)
    state.capture(opt, objective.resume_parts())
    state.save(tmp_path)
    doc = json.loads((tmp_path / "train_state.json").read_text())
    assert doc["step"] == 7 and doc["best_val"] is None  # inf is JSON null
    assert not list(tmp_path.glob("*.pkl")) and not list(tmp_path.glob("*.pt"))

    loaded = TrainState.load(tmp_path)
    assert (loaded.stage, loaded.step, loaded.nonfinite_dropped) == (0, 7, 3)
    assert math.isinf(loaded.best_val)
    fresh, fresh_opt = _stepped(cfg, "pretrain", seed=1)  # other weights, other Adam moments
    loaded.restore(fresh_opt, fresh.resume_parts())
    for prefix, part in objective.resume_parts().items():
        got = fresh.resume_parts()[prefix].state_dict()
        assert all(torch.equal(v, got[k]) for k, v in part.state_dict().items()), prefix
    want, got = opt.state_dict()["state"], fresh_opt.state_dict()["state"]
    assert want.keys() == got.keys() and len(want) > 0
    assert all(torch.equal(want[i]["exp_avg"], got[i]["exp_avg"]) for i in want)


def test_a_fresh_or_next_stage_state_restores_nothing(fast_cfg: Path, tmp_path: Path) -> None:
    cfg = load_train_config(fast_cfg, MASKED)
    objective, opt = _stepped(cfg, "pretrain")
    state = TrainState(best_val=0.5)
    state.capture(opt, objective.resume_parts())
    state.next_stage()
    assert (state.stage, state.step, state.tensors) == (1, 0, {}) and math.isinf(state.best_val)
    before = {k: v.clone() for k, v in objective.mask_predictor.state_dict().items()}
    TrainState().restore(opt, objective.resume_parts())
    assert all(torch.equal(v, objective.mask_predictor.state_dict()[k]) for k, v in before.items())
    with pytest.raises(CheckpointError, match="nothing to resume"):
        TrainState.load(tmp_path)


@pytest.mark.parametrize(
    ("over", "stage", "parts", "heads"),
    [
        ({"mode": "two_stage", "objective": "vicreg"}, "pretrain", set(), set()),
        ({"mode": "two_stage", "objective": "sigreg"}, "pretrain", set(), set()),
        (MASKED, "pretrain", {"ema", "maskpred"}, {"maskpred"}),
        ({"mode": "two_stage"}, "predictor", set(), set()),
        ({"target": "ema", "state_probe_weight": 1.0}, "joint", {"ema", "probe"}, {"probe"}),
        ({"objective": "sigreg"}, "joint", set(), set()),
    ],
)
def test_every_objective_implements_the_interface(
    fast_cfg: Path, over: dict, stage: str, parts: set, heads: set
) -> None:
    cfg = load_train_config(fast_cfg, over)
    objective, _ = _stepped(cfg, stage)
    assert isinstance(objective, Objective) and objective.inputs == "frames"
    assert set(objective.resume_parts()) == parts and set(objective.heads()) == heads
    objective.update_target(1.0)  # no-ops where there is no target
    objective.finish_stage()


def test_the_stage_says_when_it_trains_on_cached_latents(fast_cfg: Path) -> None:
    cfg = load_train_config(fast_cfg, {"mode": "two_stage"})
    assert [(s.name, s.inputs) for s in stages(cfg)] == [
        ("pretrain", "frames"),
        ("predictor", "latents"),
    ]
    no_cache = load_train_config(fast_cfg, {"mode": "two_stage", "cache_latents": False})
    assert stages(no_cache)[1].inputs == "frames"
    model = JepaWorldModel(cfg.model_config(2, 2))
    with pytest.raises(ValueError, match="frozen encoder"):
        PredictionObjective(model, cfg, train_encoder=True, inputs="latents")
    z = torch.randn(2, 3, model.num_tokens, model.latent_dim)
    raw = {"latents": z, "state": torch.randn(2, 3, 2), "action": torch.randn(2, 2, 2)}
    batch = Batch.collate(raw, "cpu")
    assert batch.inputs == "latents" and torch.equal(batch.x, z)
    with pytest.raises(ValueError, match="exactly one of rgb, latents"):
        Batch.collate({"rgb": z, "latents": z, "state": z, "action": z}, "cpu")
