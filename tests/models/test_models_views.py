"""Multi-view world models: one shared encoder, a learned view embedding, every view's tokens."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hardware.interfaces import Observation
from jepa_wm.app.policy import PolicyConfig, WorldModelPolicy, observation_frames
from jepa_wm.errors import ConfigError
from jepa_wm.models.checkpoint import load_world_model, save_checkpoint
from jepa_wm.models.config import model_config
from jepa_wm.models.world_model import JepaWorldModel
from planners.registry import PlannerSpec

TWO = {"views": ["rgb", "rgb_wrist"]}
LOW = np.array([-0.05] * 3 + [-0.1] * 3 + [-0.02], dtype=np.float32)


def _model(over: dict | None = None) -> JepaWorldModel:
    torch.manual_seed(0)
    return JepaWorldModel(model_config("tiny", TWO if over is None else over)).eval()


def _frames(*shape: int) -> torch.Tensor:
    return torch.randint(0, 255, (*shape, 64, 64, 3), dtype=torch.uint8)


def test_two_views_give_twice_the_tokens_and_the_predictor_sees_all() -> None:
    model = _model()
    z = model.encode(_frames(2, 3, 2))
    assert z.shape == (2, 3, 32, 32) and model.num_tokens == 32 == model.predictor.num_tokens
    ctx = model.make_context(z[:1, -1:], torch.zeros(1, 1, 7), torch.zeros(1, 0, 7))
    latents, states = model.rollout(ctx, torch.zeros(4, 2, 7))
    assert latents.shape == (4, 2, 32, 32) and states.shape == (4, 2, 7)


def test_each_view_is_its_own_encoding_with_its_own_embedding() -> None:
    model = _model()
    x = _frames(1, 1, 1).expand(1, 1, 2, 64, 64, 3)  # the same image in both views
    z = model.encode_raw(x)[0, 0]
    main, wrist = z[:16], z[16:]
    assert torch.allclose(main - model.view_embed[0], wrist - model.view_embed[1], atol=1e-5)
    assert not torch.allclose(main, wrist)  # the embedding tells the views apart
    changed = x.clone()
    changed[:, :, 1] = 255 - changed[:, :, 1]
    z2 = model.encode_raw(changed)[0, 0]
    assert torch.equal(z2[:16], main) and not torch.allclose(z2[16:], wrist)


def test_views_are_validated_and_shapes_are_named() -> None:
    for bad in (["rgb_wrist"], ["rgb", "wrist"], ["rgb", "rgb_w", "rgb_w"], []):
        with pytest.raises(ConfigError, match="views must be 'rgb' then distinct"):
            model_config("tiny", {"views": bad})
    with pytest.raises(
        ValueError, match=r"expected frames \[B, T, 2, H, W, 3\] \(rgb, rgb_wrist\)"
    ):
        _model().encode(_frames(1, 1))
    single = _model({})
    assert single.views == ("rgb",) and single.view_embed is None  # old checkpoints unchanged


def test_multi_view_checkpoint_round_trips(tmp_path) -> None:
    model = _model()
    save_checkpoint(model, tmp_path / "ck")
    loaded = load_world_model(tmp_path / "ck")
    x = _frames(1, 1, 2)
    assert loaded.views == ("rgb", "rgb_wrist")
    assert torch.allclose(loaded.encode(x), model.encode(x))


def _obs(images: dict) -> Observation:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    return Observation(rgb=rgb, state=np.zeros(7, np.float32), timestamp=0.0, images=images)


def test_policy_plans_from_every_view_and_names_a_missing_one() -> None:
    wrist = np.full((64, 64, 3), 7, np.uint8)
    obs = _obs({"wrist": wrist})
    frames = observation_frames(obs, ("rgb", "rgb_wrist"))
    assert frames.shape == (2, 64, 64, 3) and np.array_equal(frames[1], wrist)
    assert observation_frames(obs).shape == (64, 64, 3)
    fast = {"samples": 8, "iterations": 1, "topk": 2, "seed": 0}
    cfg = PolicyConfig(planner=PlannerSpec(options=fast))
    pol = WorldModelPolicy.from_config(_model(), cfg, LOW, -LOW)
    action = pol(obs, obs)
    assert action.shape == (7,) and np.all(np.isfinite(action))
    with pytest.raises(ConfigError, match="sees view 'rgb_wrist', the observation has only: rgb"):
        pol(_obs({}), obs)
