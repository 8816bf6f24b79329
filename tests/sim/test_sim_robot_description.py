"""The simulator and the safety adapters take the robot from hardware/robots/<name>.yaml.

One description per robot: the sim's action and state names, action bounds, IK rest pose,
joints, links, gripper range and workspace, and the adapters' bounds, must be the YAML's. The
planner node's side (its published action names) is checked over ROS in
tests/ros/test_ros_planner_lifecycle.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from hardware.adapters import ArmAdapter, BaseAdapter
from hardware.ik import Kinematics
from hardware.limits import load_robot
from sim.registry import make_env


@pytest.fixture(scope="module")
def franka():
    env = make_env("franka-reach")
    yield env
    env.close()


@pytest.fixture(scope="module")
def husky():
    env = make_env("husky-nav")
    yield env
    env.close()


def _names(env, ids: tuple[int, ...], field: int) -> list[str]:
    return [env._p.getJointInfo(env.robot, j)[field].decode() for j in ids]


def test_sim_franka_is_the_panda_description(franka) -> None:
    desc = load_robot("panda")
    spec = desc.action_spec()
    assert franka.action_spec.names == spec.names == desc.action_names
    np.testing.assert_array_equal(franka.action_spec.low, spec.low)
    np.testing.assert_array_equal(franka.action_spec.high, spec.high)
    assert tuple(franka.state_names) == desc.state_names
    assert len(franka.get_observation().state) == len(desc.state_names)
    # IK's null-space rest pose: the arm's joints, then each finger half the max opening
    assert tuple(franka._rest) == (*desc.rest_pose, *[desc.gripper.max_opening / 2] * 2)
    assert _names(franka, franka.arm_joints, 1) == list(desc.joint_names)
    assert _names(franka, franka.finger_joints, 1) == list(desc.gripper.joints)
    assert _names(franka, (franka._ee_link,), 12) == [desc.ee_link]
    assert _names(franka, (franka._hand_link,), 12) == [desc.wrist_camera_link]


def test_sim_franka_clips_to_the_description_workspace(franka) -> None:
    ws = load_robot("panda").workspace
    franka.reset(seed=3)
    for _ in range(15):  # push up and out: the commanded pose stops at the workspace's edge
        franka.send_action(np.array([0.03, 0.03, 0.03, 0.15, 0.15, 0.15, 0.0]))
    assert np.all(franka._target_pos <= np.array(ws.high) + 1e-9)
    assert np.all(np.abs(franka._target_rpy) <= np.array(ws.rpy_limit) + 1e-9)
    assert np.linalg.norm(franka._target_pos - franka._ee_pos()) <= ws.max_lead + 1e-9


def test_sim_franka_state_is_the_adapter_forward_kinematics(franka) -> None:
    """The arm adapter's /ee_state (FK from the YAML's joints, link and reference frame) is the
    sim's own 7-D state, so a planner sees the same state in eval and over ROS."""
    franka.reset(seed=5)
    for _ in range(3):
        franka.send_action(np.array([0.01, -0.02, 0.01, 0.05, 0.0, -0.1, -0.01]))
    desc = load_robot("panda")
    kin = Kinematics(desc)
    try:
        q = franka.joint_positions()
        opening = float(q[len(desc.joint_names) :].sum())
        adapter_state = ArmAdapter(desc, kin).ee_state(q[: len(desc.joint_names)], opening)
    finally:
        kin.close()
    np.testing.assert_allclose(adapter_state, franka.get_observation().state, atol=1e-5)


def test_sim_husky_is_the_husky_description(husky) -> None:
    desc = load_robot("husky")
    spec = desc.action_spec()
    assert husky.action_spec.names == spec.names == desc.action_names
    assert tuple(husky.state_names) == desc.state_names
    assert len(husky.get_observation().state) == len(desc.state_names)
    assert _names(husky, husky.wheels, 1) == list(desc.wheel_joints)
    # the nav task may cap the turn rate, never exceed the robot's twist limits
    assert np.all(husky.action_spec.low >= spec.low) and np.all(husky.action_spec.high <= spec.high)
    assert husky.action_spec.high[0] == desc.twist_limits.linear


def test_sim_adapters_clip_to_the_description_bounds() -> None:
    arm, base = load_robot("panda"), load_robot("husky")
    adapter = ArmAdapter(arm)
    np.testing.assert_array_equal(adapter.low, arm.action_spec().low)
    np.testing.assert_array_equal(adapter.high, arm.action_spec().high)
    twist, _ = BaseAdapter(base).command(np.array([1e3, -1e3]))
    np.testing.assert_array_equal(twist, [base.action_spec().high[0], base.action_spec().low[1]])
