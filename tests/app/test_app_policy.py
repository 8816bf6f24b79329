"""WorldModelPolicy with a randomly initialised tiny model: shapes, bounds, caching, subgoals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hardware.interfaces import Observation
from jepa_wm.app.policy import PolicyConfig, WorldModelPolicy
from jepa_wm.errors import ConfigError
from jepa_wm.models.config import model_config
from jepa_wm.models.world_model import JepaWorldModel
from planners.registry import PlannerSpec

LOW = np.array([-0.05] * 3 + [-0.1] * 3 + [-0.02], dtype=np.float32)
HIGH = -LOW
FAST = {"samples": 16, "iterations": 2, "topk": 4, "seed": 0}


def _model(context_len: int = 1) -> JepaWorldModel:
    torch.manual_seed(0)
    cfg = model_config(
        "tiny", {"action_dim": 7, "state_dim": 7, "predictor": {"context_len": context_len}}
    )
    return JepaWorldModel(cfg).eval()


def _obs(seed: int) -> Observation:
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 255, size=(64, 64, 3), dtype=np.uint8)
    return Observation(rgb=rgb, state=rng.normal(size=7).astype(np.float32), timestamp=0.0)


@pytest.mark.parametrize("planner", ["cem", "gradient"])
def test_returns_bounded_action_of_right_shape(planner: str) -> None:
    overrides = FAST if planner == "cem" else {"samples": 2, "iterations": 2, "seed": 0}
    pol = WorldModelPolicy(_model(), planner, overrides, "cpu", LOW, HIGH, horizon=2)
    pol.reset()
    for t in range(3):
        action = pol(_obs(t), _obs(100))
        assert action.shape == (7,) and action.dtype == np.float32
        assert np.all(action >= LOW) and np.all(action <= HIGH)
    assert pol.last_info["plan_ms"] > 0
    assert np.isfinite(pol.last_info["energy"])
    assert pol.last_info["subgoal"] == 0


def test_goal_is_encoded_once_and_history_is_kept() -> None:
    model = _model(context_len=3)
    calls = {"n": 0}
    encode = model.encode

    def counting(rgb: torch.Tensor) -> torch.Tensor:
        calls["n"] += 1
        return encode(rgb)

    model.encode = counting  # type: ignore[method-assign]
    pol = WorldModelPolicy(model, "cem", FAST, "cpu", LOW, HIGH, horizon=2)
    goal = _obs(100)
    for t in range(5):
        pol(_obs(t), goal)
    assert calls["n"] == 5 + 1  # one per observation, one for the goal
    assert len(pol.latents) == 3 and len(pol.actions) == 2
    pol.reset()
    assert len(pol.latents) == 0


def test_subgoals_switch_on_step_budget() -> None:
    pol = WorldModelPolicy(_model(), "cem", FAST, "cpu", LOW, HIGH, horizon=1)
    pol.set_subgoals([_obs(10), _obs(11), _obs(12)], steps_per_subgoal=2)
    seen = []
    for t in range(6):
        pol(_obs(t))
        seen.append(pol.last_info["subgoal"])
    assert seen == [0, 1, 1, 2, 2, 2]
    pol.reset()
    pol(_obs(0))
    assert pol.last_info["subgoal"] == 0


def test_subgoals_switch_on_energy() -> None:
    pol = WorldModelPolicy(_model(), "cem", FAST, "cpu", LOW, HIGH, horizon=1)
    here = _obs(3)
    # the first subgoal IS the current observation: its energy is 0, below any threshold
    pol.set_subgoals([here, _obs(11)], switch_energy=1e-6)
    pol(here)
    assert pol.last_info["subgoal"] == 1 and pol.last_info["subgoal_switched"]


def test_bad_config_is_a_user_error() -> None:
    with pytest.raises(ConfigError, match="valid options"):
        WorldModelPolicy(_model(), "cem", {"smaples": 3}, "cpu", LOW, HIGH)
    with pytest.raises(ConfigError, match="valid planners"):
        WorldModelPolicy.from_config(_model(), PolicyConfig(planner=PlannerSpec("x")), LOW, HIGH)
    with pytest.raises(ConfigError, match="action bounds"):
        WorldModelPolicy(_model(), "cem", {}, "cpu", LOW[:3], HIGH[:3])


def test_a_deadline_in_the_past_plans_one_iteration() -> None:
    import time

    over = {**FAST, "iterations": 5}
    pol = WorldModelPolicy(_model(), "cem", over, "cpu", LOW, HIGH)
    pol(_obs(0), _obs(1), deadline=time.perf_counter())
    assert pol.last_info["iterations_done"] == 1 and pol.last_info["deadline_hit"]
    pol(_obs(2), _obs(1))  # the deadline was for that step only
    assert pol.last_info["iterations_done"] == 5 and not pol.last_info["deadline_hit"]
