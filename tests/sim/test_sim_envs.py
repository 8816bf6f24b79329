"""Every task: deterministic reset, safe send_action, goal/subgoal observations, state layout."""

from __future__ import annotations

import numpy as np
import pytest

from hardware.interfaces import Robot
from sim.registry import ENV_NAMES, UnknownEnvError, make_env


@pytest.fixture(scope="module", params=ENV_NAMES)
def env(request):
    e = make_env(request.param, image_size=64)
    yield e
    e.close()


def test_sim_env_is_a_robot_with_extras(env) -> None:
    assert isinstance(env, Robot)
    obs = env.reset(seed=5)
    assert obs.rgb.shape == (64, 64, 3) and obs.rgb.dtype == np.uint8
    assert obs.state.shape == (len(env.state_names),) and obs.state.dtype == np.float32
    assert env.action_spec.dim == (7 if env.name.startswith("franka") else 2)
    assert env.max_steps > 0 and env.fps > 0
    goal = env.goal_observation()
    assert goal.rgb.shape == obs.rgb.shape and goal.state.shape == obs.state.shape
    assert not np.array_equal(goal.rgb, obs.rgb)
    assert env.expert_action().shape == (env.action_spec.dim,)
    assert isinstance(env.info(), dict) and isinstance(env.is_success(), bool)


def test_sim_reset_is_deterministic_per_seed(env) -> None:
    a = env.reset(seed=11).rgb.copy()
    state = env.get_observation().state.copy()
    b = env.reset(seed=11).rgb
    assert np.array_equal(a, b)
    assert np.allclose(state, env.get_observation().state)
    assert not np.array_equal(a, env.reset(seed=12).rgb)


def test_sim_send_action_clips_and_survives_nan(env) -> None:
    env.reset(seed=3)
    spec = env.action_spec
    applied = env.send_action(spec.high * 10.0)
    assert np.allclose(applied, spec.high.astype(np.float32))
    applied = env.send_action(np.full(spec.dim, np.nan))
    assert np.array_equal(applied, np.zeros(spec.dim, dtype=np.float32))
    applied = env.send_action(np.array([np.inf, -np.inf] + [0.0] * (spec.dim - 2)))
    assert applied[0] == 0.0 and applied[1] == 0.0
    obs = env.get_observation()
    assert np.all(np.isfinite(obs.state)) and obs.timestamp == pytest.approx(3 / env.fps)
    with pytest.raises(ValueError):
        env.send_action(np.zeros(spec.dim + 1))


def test_sim_observation_is_cached_within_a_step(env) -> None:
    env.reset(seed=4)
    assert env.get_observation() is env.get_observation()
    env.send_action(np.zeros(env.action_spec.dim))
    assert env.get_observation().timestamp > 0


def test_sim_subgoals_end_with_the_goal(env) -> None:
    env.reset(seed=2)
    subs = env.subgoals()
    expected = {"franka-grasp": 3, "franka-pick-place": 5}.get(env.name, 1)
    assert len(subs) == expected
    assert np.array_equal(subs[-1].rgb, env.goal_observation().rgb)


def test_sim_unknown_env_lists_valid_names() -> None:
    with pytest.raises(UnknownEnvError, match="franka-reach"):
        make_env("franka-fly")
    with pytest.raises(UnknownEnvError, match="64"):
        make_env("franka-reach", image_size=65)


def test_sim_wrist_camera_and_grasp_subgoal_states() -> None:
    env = make_env("franka-grasp", image_size=64, wrist_camera=True)
    try:
        obs = env.reset(seed=7)
        assert obs.images["wrist"].shape == (64, 64, 3)
        assert set(env.camera_info()) == {"rgb", "wrist"}
        assert env.joint_positions().shape == (9,)
        pre, grasp, lift = (g.state for g in env.subgoals())
        assert pre[6] > 0.07 and grasp[6] < 0.06  # open above the cube, closed on it
        assert pre[2] > grasp[2] and lift[2] > grasp[2] + 0.04
        assert np.linalg.norm(pre[:2] - env.cube_pos()[:2]) < 0.01
        # rendering the subgoals did not move anything in the episode
        assert np.allclose(env.get_observation().state, obs.state)
    finally:
        env.close()


def test_sim_husky_overhead_camera_and_onboard_fov() -> None:
    env = make_env("husky-nav", image_size=64, wrist_camera=True)
    try:
        obs = env.reset(seed=1)
        assert obs.images["overhead"].shape == (64, 64, 3)
        assert env.camera.fov_deg == env.camera_info()["rgb"]["fov_deg"]
        assert env.goal_observation().state[:2] == pytest.approx(env.goal[:2], abs=1e-3)
    finally:
        env.close()
