"""Safety adapters between a planner's actions and a robot's controllers (plain Python, no ROS).

- ``ArmAdapter``: ee-delta action (7,) -> joint targets (J,) + gripper opening, through IK.
  Every action is clipped to the description's action bounds (its ee-delta limits), every joint target to the joint
  position limits and to ``velocity * dt`` around the current joints. A non-finite action never
  moves the arm: the adapter holds the current joints.
- ``BaseAdapter``: (v, omega) -> twist clipped to the description's action bounds (its twist
  limits); non-finite -> zero twist.
- ``Watchdog``: inputs fed with timestamps; any input older than ``timeout`` (or never seen)
  makes the robot hold. It logs once when it trips and once when it recovers, not every tick.

The ROS nodes in ros_ws/ are thin wrappers over these classes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from hardware.ik import Kinematics
from hardware.limits import LimitsError, RobotDescription


@dataclass(frozen=True)
class ArmCommand:
    """positions (J,) joint targets; gripper: opening target (m); applied (7,) the clipped action
    actually executed (zeros when held); held: True when the command keeps the arm still."""

    positions: np.ndarray
    gripper: float
    applied: np.ndarray
    held: bool
    reason: str = ""


class ArmAdapter:
    """Turns ee-delta actions into clipped joint targets for one arm."""

    def __init__(self, desc: RobotDescription, kinematics: Kinematics | None = None) -> None:
        if desc.kind != "arm" or desc.ee_delta_limits is None:
            raise LimitsError(f"{desc.name}: ArmAdapter needs an arm description")
        self.desc = desc
        self.kin = kinematics or Kinematics(desc)
        self.spec = desc.action_spec()  # names and bounds from the robot's YAML
        self.low, self.high = self.spec.low, self.spec.high
        self.dt = 1.0 / desc.control_rate_hz

    def clip_action(self, action: np.ndarray) -> tuple[np.ndarray | None, bool]:
        """(7,) -> (clipped (7,) or None if any entry is non-finite or the shape is wrong, clipped?)."""
        a = np.asarray(action, dtype=np.float64).reshape(-1)
        if a.shape != (7,) or not np.all(np.isfinite(a)):
            return None, False
        c = np.clip(a, self.low, self.high)
        return c, bool(np.any(c != a))

    def clip_joints(self, target: np.ndarray, current: np.ndarray) -> np.ndarray:
        """Joint targets (J,) clipped to position limits and to one step of velocity limit."""
        step = self.desc.joint_velocity * self.dt
        t = np.clip(target, current - step, current + step)
        return np.clip(t, self.desc.joint_lower, self.desc.joint_upper)

    def hold(self, q: np.ndarray, gripper: float, reason: str) -> ArmCommand:
        """Keep the arm where it is: current joints and opening, each clipped into its limits."""
        q = np.clip(np.asarray(q, dtype=np.float64), self.desc.joint_lower, self.desc.joint_upper)
        return ArmCommand(q, self._clip_opening(float(gripper)), np.zeros(7), True, reason)

    def _clip_opening(self, opening: float) -> float:
        """An opening target inside the gripper's range (a measured one can overshoot it by
        simulation or encoder noise: 0.0800000066 for a 0.08 m hand). Clipped in float64: a
        float32 clip would round the bound itself (0.08 -> 0.0800000012)."""
        g = self.desc.gripper
        return opening if g is None else float(np.clip(opening, g.min_opening, g.max_opening))

    def ee_state(self, q: np.ndarray, gripper: float) -> np.ndarray:
        """The world model's 7-D state [x, y, z, roll, pitch, yaw, opening] from joints (J,)."""
        pos, rpy = self.kin.fk(q)
        return np.concatenate([pos, rpy, [gripper]]).astype(np.float64)

    def command(self, action: np.ndarray, q: np.ndarray, gripper: float) -> ArmCommand:
        """One control step: ee-delta action (7,) at joints q (J,) -> ArmCommand."""
        q = np.asarray(q, dtype=np.float64)
        if q.shape != (len(self.desc.joints),) or not np.all(np.isfinite(q)):
            raise LimitsError(
                f"{self.desc.name}: joint state must be {len(self.desc.joints)} finite values"
            )
        a, _ = self.clip_action(action)
        if a is None:
            return self.hold(q, gripper, "non-finite or malformed action")
        pos, rpy = self.kin.fk(q)
        target = self.kin.ik(pos + a[:3], rpy + a[3:6], q_seed=q)
        if not np.all(np.isfinite(target)):
            return self.hold(q, gripper, "IK failed")
        opening = float(gripper) + (float(a[6]) if self.desc.gripper is not None else 0.0)
        return ArmCommand(self.clip_joints(target, q), self._clip_opening(opening), a, False)


class BaseAdapter:
    """Clips (v, omega) commands of a mobile base to its twist limits."""

    def __init__(self, desc: RobotDescription) -> None:
        if desc.kind != "base" or desc.twist_limits is None:
            raise LimitsError(f"{desc.name}: BaseAdapter needs a base description")
        self.limits = desc.twist_limits
        self.spec = desc.action_spec()  # names and bounds from the robot's YAML

    def command(self, action: np.ndarray) -> tuple[np.ndarray, bool]:
        """(2,) [v, omega] -> (clipped (2,), held). Non-finite or malformed -> zero twist, held."""
        a = np.asarray(action, dtype=np.float64).reshape(-1)
        if a.shape != (2,) or not np.all(np.isfinite(a)):
            return np.zeros(2), True
        return np.clip(a, self.spec.low, self.spec.high), False


class Watchdog:
    """Tracks the freshness of named inputs; stale (> timeout s) or never-seen inputs trip it."""

    def __init__(
        self,
        inputs: Iterable[str],
        timeout: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] = print,
    ) -> None:
        self.timeout = float(timeout)
        self._last: dict[str, float | None] = dict.fromkeys(inputs)
        self._clock = clock
        self._log = log
        self._tripped: tuple[str, ...] | None = None  # None = never evaluated yet

    def feed(self, name: str, t: float | None = None) -> None:
        """Mark input ``name`` as fresh at time ``t`` (default: now)."""
        if name not in self._last:
            raise KeyError(f"unknown watchdog input {name!r}; known: {sorted(self._last)}")
        self._last[name] = self._clock() if t is None else t

    def last(self, name: str) -> float | None:
        """When input ``name`` was last fed (clock seconds), or None if it never was."""
        return self._last[name]

    def stale(self, now: float | None = None) -> tuple[str, ...]:
        """Names of inputs that are older than the timeout or were never seen."""
        now = self._clock() if now is None else now
        return tuple(n for n, t in self._last.items() if t is None or now - t > self.timeout)

    def ok(self, now: float | None = None) -> bool:
        """True when every input is fresh. Logs once per change between tripped and fresh."""
        stale = self.stale(now)
        if stale and stale != self._tripped:
            self._log(
                f"watchdog: holding, stale inputs: {', '.join(stale)} (> {self.timeout:.2f} s)"
            )
        elif not stale and self._tripped:
            self._log("watchdog: all inputs fresh again, resuming")
        self._tripped = stale
        return not stale
