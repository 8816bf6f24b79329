"""The sim bridge (plain Python): joint targets reach the pybullet env only through its bounds."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "ros_ws/src/jepa_wm_ros"))

from hardware.adapters import ArmAdapter
from hardware.limits import load_robot

sim_registry = pytest.importorskip("sim.registry")


@pytest.fixture(scope="module")
def bridge():
    from jepa_wm_ros.sim_bridge import ArmSimBridge

    env = sim_registry.make_env("franka-reach", image_size=64)
    env.reset(seed=5)
    yield ArmSimBridge(env, load_robot("panda"))
    env.close()


def test_ros_sim_bridge_fk_state_matches_sim(bridge) -> None:
    adapter = ArmAdapter(load_robot("panda"), bridge.kin)
    q = bridge.joint_positions()
    state = bridge.env.get_observation().state
    np.testing.assert_allclose(adapter.ee_state(q[:7], q[7:].sum()), state, atol=1e-4)


def test_ros_sim_bridge_follows_adapter_and_clips(bridge) -> None:
    adapter = ArmAdapter(load_robot("panda"), bridge.kin)
    start = bridge.env.get_observation().state.copy()
    q = bridge.joint_positions()
    cmd = adapter.command(np.array([0.02, 0.0, 0.0, 0, 0, 0, 0]), q[:7], q[7:].sum())
    for _ in range(10):  # hold the target: the arm converges onto it
        bridge.step(cmd.positions, cmd.gripper)
    moved = bridge.env.get_observation().state - start
    assert moved[0] == pytest.approx(0.02, abs=4e-3) and abs(moved[1]) < 4e-3
    # A far-away joint target is turned into one bounded ee step by the env's own clip.
    applied = bridge.step(np.array(load_robot("panda").rest_pose) + 1.0, 0.0)
    assert np.all(np.abs(applied) <= bridge.env.action_spec.high + 1e-6)
    assert not np.any(np.isnan(bridge.step(np.full(7, np.nan), np.nan)))


def test_ros_sim_bridge_reads_joints_through_public_api(bridge) -> None:
    np.testing.assert_array_equal(bridge.joint_positions(), bridge.env.joint_positions())
    assert bridge.joint_positions().shape == (len(bridge.joint_names),) == (9,)

    class PublicOnly:  # no pybullet client or body ids: only the public accessor
        def joint_positions(self) -> np.ndarray:
            return np.arange(9.0)

    from jepa_wm_ros.sim_bridge import ArmSimBridge

    q = ArmSimBridge(PublicOnly(), load_robot("panda")).joint_positions()
    np.testing.assert_array_equal(q, np.arange(9.0))


@pytest.mark.parametrize("name", ["franka-reach", "husky-nav"])
def test_ros_sim_camera_matrix_from_camera_info(name: str) -> None:
    from jepa_wm_ros.sim_bridge import camera_matrix

    from hardware.camera import intrinsics

    env = sim_registry.make_env(name, image_size=64)
    try:
        info = env.camera_info()["rgb"]
        np.testing.assert_allclose(
            camera_matrix(info), intrinsics(64, 64, info["fov_deg"]), rtol=1e-9
        )
    finally:
        env.close()
