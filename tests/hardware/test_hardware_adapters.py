"""Arm/base adapters clip to limits and hold on bad input; the watchdog trips on stale inputs."""

from __future__ import annotations

import numpy as np
import pytest

from hardware.adapters import ArmAdapter, BaseAdapter, Watchdog
from hardware.limits import load_robot


@pytest.fixture(scope="module")
def arm() -> ArmAdapter:
    return ArmAdapter(load_robot("panda"))


def test_hardware_ik_follows_small_ee_deltas(arm: ArmAdapter) -> None:
    q = np.array(arm.desc.rest_pose)
    start = arm.ee_state(q, 0.04)
    for _ in range(5):
        q = arm.command(np.array([0.01, 0.0, -0.01, 0, 0, 0, 0]), q, 0.04).positions
    end = arm.ee_state(q, 0.04)
    np.testing.assert_allclose(end[:3] - start[:3], [0.05, 0.0, -0.05], atol=3e-3)


def test_hardware_action_beyond_limits_is_clipped(arm: ArmAdapter) -> None:
    q = np.array(arm.desc.rest_pose)
    cmd = arm.command(np.array([1.0, -1.0, 0, 0, 0, 5.0, 1.0]), q, 0.04)
    lim = arm.desc.ee_delta_limits
    assert not cmd.held
    np.testing.assert_allclose(
        cmd.applied[[0, 1, 5, 6]], [lim.translation, -lim.translation, lim.rotation, lim.gripper]
    )
    step = arm.desc.joint_velocity / arm.desc.control_rate_hz
    assert np.all(np.abs(cmd.positions - q) <= step + 1e-9)
    assert np.all(cmd.positions >= arm.desc.joint_lower) and np.all(
        cmd.positions <= arm.desc.joint_upper
    )
    assert arm.desc.gripper.min_opening <= cmd.gripper <= arm.desc.gripper.max_opening


@pytest.mark.parametrize("bad", [[np.nan] * 7, [0.0, np.inf, 0, 0, 0, 0, 0], [0.0, 0.0]])
def test_hardware_nan_or_malformed_action_holds(arm: ArmAdapter, bad: list[float]) -> None:
    q = np.array(arm.desc.rest_pose)
    cmd = arm.command(np.array(bad), q, 0.03)
    assert cmd.held and cmd.gripper == 0.03
    np.testing.assert_array_equal(cmd.positions, q)
    np.testing.assert_array_equal(cmd.applied, np.zeros(7))


def test_hardware_hold_keeps_an_overshooting_opening_in_range(arm: ArmAdapter) -> None:
    # the fingers can read a hair past their range; holding must not command that back
    g, q = arm.desc.gripper, np.array(arm.desc.rest_pose)
    for measured, want in ((g.max_opening + 6.6e-9, g.max_opening), (-1e-9, g.min_opening)):
        for cmd in (arm.command(np.full(7, np.nan), q, measured), arm.hold(q, measured, "test")):
            assert cmd.held and cmd.gripper == want
    assert arm.command(np.zeros(7), q, g.max_opening + 6.6e-9).gripper == g.max_opening


def test_hardware_base_adapter_clips_and_zeroes() -> None:
    base = BaseAdapter(load_robot("husky"))
    twist, held = base.command(np.array([5.0, -9.0]))
    assert not held and twist.tolist() == [1.0, -2.0]
    twist, held = base.command(np.array([np.nan, 0.1]))
    assert held and twist.tolist() == [0.0, 0.0]


def test_hardware_watchdog_trips_on_stale_and_logs_once() -> None:
    now = [0.0]
    logs: list[str] = []
    wd = Watchdog(["command", "camera"], timeout=0.5, clock=lambda: now[0], log=logs.append)
    assert not wd.ok() and wd.stale() == ("command", "camera")
    wd.feed("command")
    wd.feed("camera")
    assert wd.ok()
    now[0] = 0.4
    wd.feed("camera")
    assert wd.ok()
    now[0] = 0.7  # command is 0.7 s old, camera 0.3 s
    assert not wd.ok() and wd.stale() == ("command",)
    assert not wd.ok()
    assert sum("holding" in m for m in logs) == 2  # once at start (never seen), once at 0.7 s
    wd.feed("command")
    assert wd.ok() and "resuming" in logs[-1]
    with pytest.raises(KeyError):
        wd.feed("lidar")
