"""The one goal switch: with ``goal: image`` no goal state ever reaches the planner."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from jepa_wm.app.mpc_eval import load_policy_config
from jepa_wm.app.policy import PolicyConfig, WorldModelPolicy
from jepa_wm.errors import ConfigError
from jepa_wm.models.config import model_config
from jepa_wm.models.world_model import JepaWorldModel
from planners.costs import CostConfig
from planners.registry import PlannerSpec
from tests.app.test_app_policy import FAST, HIGH, LOW, _model, _obs


def _with_readout() -> JepaWorldModel:
    torch.manual_seed(0)
    cfg = model_config("tiny", {"action_dim": 7, "state_dim": 7, "state_readout": 16})
    return JepaWorldModel(cfg).eval()


def _policy(model: JepaWorldModel, goal: str) -> WorldModelPolicy:
    cfg = PolicyConfig(
        goal=goal, cost=CostConfig(state_weight=1.0), planner=PlannerSpec(options=FAST)
    )
    return WorldModelPolicy.from_config(model, cfg, LOW, HIGH)


def test_image_mode_drops_the_goal_state_everywhere() -> None:
    goal = _obs(100)
    goal.state[:] = np.nan  # would poison every cost if it reached the planner
    pol = _policy(_model(), "image")
    assert pol.set_goal(goal.rgb, goal.state).state is None
    pol.set_subgoals([goal, _obs(101)], steps_per_subgoal=1)
    assert all(g.state is None for g in pol.schedule.goals)
    action = pol(_obs(0), goal)
    assert np.all(np.isfinite(action)) and np.isfinite(pol.last_info["energy"])


def test_image_state_mode_keeps_the_measured_goal_state() -> None:
    goal = _obs(100)
    got = _policy(_model(), "image+state").set_goal(goal.rgb, goal.state).state
    assert got is not None and torch.equal(got, torch.as_tensor(goal.state))


def test_image_mode_estimates_the_goal_state_with_the_models_readout() -> None:
    model = _with_readout()
    goal = _obs(100)
    est = _policy(model, "image").set_goal(goal.rgb, goal.state).state
    with torch.no_grad():
        want = model.read_state(model.encode(torch.as_tensor(goal.rgb)[None, None])[:, 0])[0]
    assert est is not None and torch.allclose(est, want)
    assert not torch.allclose(est, torch.as_tensor(goal.state))  # the true state is not used


def test_goal_mode_is_validated_and_reaches_the_config() -> None:
    with pytest.raises(ConfigError, match="goal must be one of image, image\\+state"):
        load_policy_config(None, env="franka-grasp", goal="state")
    assert load_policy_config(None, env="franka-grasp", goal="image").goal == "image"
    with pytest.raises(ConfigError, match="goal must be one of"):
        WorldModelPolicy(_model(), "cem", FAST, "cpu", LOW, HIGH, goal="pose")


def test_a_model_without_readout_says_how_to_get_one() -> None:
    with pytest.raises(ValueError, match="jepa-wm fit-readout"):
        _model().read_state(torch.zeros(1, 16, 32))
