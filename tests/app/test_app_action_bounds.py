"""The bounds a planner searches: the robot's, narrowed to the model's trained action range."""

from __future__ import annotations

import numpy as np
import pytest

from hardware.limits import load_robot
from jepa_wm.app.action_bounds import planning_bounds, trained_action_bounds
from jepa_wm.errors import ConfigError
from sim.registry import make_env


def test_planning_bounds_intersect_robot_and_trained_range() -> None:
    low, high = planning_bounds(
        np.array([-1.0, -2.0]), np.array([1.0, 2.0]), (np.array([-0.5, -1.5]), np.array([2.0, 1.5]))
    )
    np.testing.assert_array_equal(low, [-0.5, -1.5])
    np.testing.assert_array_equal(high, [1.0, 1.5])


def test_planning_bounds_without_a_recorded_range_are_the_robots() -> None:
    low, high = planning_bounds(np.array([-1.0]), np.array([1.0]), None)
    np.testing.assert_array_equal((low, high), ([-1.0], [1.0]))


@pytest.mark.parametrize(
    ("trained", "match"),
    [
        ((np.array([-1.0]), np.array([1.0])), "trained on 1-D actions, the robot takes 2-D"),
        ((np.array([1.5, -1.0]), np.array([3.0, 1.0])), "action dim 0: .* no overlap"),
    ],
)
def test_planning_bounds_refuse_a_model_of_another_robot(trained, match) -> None:
    with pytest.raises(ConfigError, match=match):
        planning_bounds(np.array([-1.0, -2.0]), np.array([1.0, 2.0]), trained)


@pytest.mark.parametrize(
    ("model", "robot", "env"),
    [("models/tiny-nav", "husky", "husky-nav"), ("models/tiny-grasp", "panda", "franka-grasp")],
)
def test_committed_models_plan_on_the_robot_within_the_tasks_bounds(model, robot, env) -> None:
    """What the ROS planner node plans within (robot description x checkpoint) is what
    `jepa-wm eval` plans within (the task's action spec): for the Husky, 1.5 rad/s of turn,
    below the robot's 2.0."""
    spec = load_robot(robot).action_spec()
    low, high = planning_bounds(spec.low, spec.high, trained_action_bounds(model))
    sim = make_env(env)
    try:
        task = sim.action_spec
    finally:
        sim.close()
    np.testing.assert_allclose(low, task.low, rtol=1e-6)
    np.testing.assert_allclose(high, task.high, rtol=1e-6)
