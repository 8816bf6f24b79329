"""franka-grasp (lift a cube >= 5 cm) and franka-pick-place (put it into a tray).

Subgoals (V-JEPA 2-AC style): grasp = [pre-grasp, grasp, lift]; pick-place adds
[carry (held above the tray), release (in the tray, gripper open)]. The goal is the last one.

The experts are reactive state machines over privileged state (no internal phase), so a noisy
or interrupted rollout (the "mixed" policy) recovers from wherever it is.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.franka_base import FRANKA_ACTION_SPEC, MAX_OPENING, Config, FrankaEnv

LIFT_HEIGHT = 0.05  # success: cube bottom at least 5 cm above the table
TRAY_SCALE = 0.5
TRAY_INNER = 0.12  # cube centre within this half-width counts as inside
TRAY_FLOOR = 0.0132  # measured: resting cube bottom height inside the tray
TRAY_TOP = 0.07


def _step_toward(delta: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """delta (k<=3,) times gain, clipped to the per-step translation bound."""
    d = np.asarray(delta, dtype=np.float64)
    lim = FRANKA_ACTION_SPEC.high[: d.shape[0]]
    return np.clip(d * gain, -lim, lim)


class FrankaGraspEnv(FrankaEnv):
    """Grasp the cube and hold it with its bottom >= 5 cm above the table."""

    name = "franka-grasp"
    max_steps = 80

    def _build_task(self, rng: np.random.Generator) -> None:
        xy = np.array([rng.uniform(0.4, 0.6), rng.uniform(-0.15, 0.15)])
        self._spawn_cube(rng, xy, rng.uniform(-0.5, 0.5))

    # ----------------------------------------------------------------- geometry
    def cube_pos(self) -> np.ndarray:
        return self._body_pose(self.cube)[0]

    def _grasp_z(self) -> float:
        # fingertips reach ~1 cm below the grasp point: stay clear of the table
        return max(self.cube_pos()[2], 0.022)

    def _grasp_yaw(self) -> float:
        """Gripper yaw (relative to gripper-down) that puts the fingers on two cube faces."""
        return self._cube_yaw()

    def held(self) -> bool:
        """Both fingers touch the cube with the gripper closed around it."""
        touching = all(self._touching(self.cube, j) for j in self.finger_joints)
        return touching and self._opening() < self.cube_size + 0.01

    def is_success(self) -> bool:
        bottom = self.cube_pos()[2] - self.cube_size / 2.0
        return bool(bottom >= LIFT_HEIGHT and self.held())

    # ----------------------------------------------------------------- subgoals
    def _grasp_configs(self) -> list[Config]:
        c = self.cube_pos()
        yaw = np.array([0.0, 0.0, self._grasp_yaw()])
        orn = self._body_pose(self.cube)[1]
        lift_c = np.array([c[0], c[1], LIFT_HEIGHT + self.cube_size / 2 + 0.03])
        return [
            Config(ee_pos=np.array([c[0], c[1], c[2] + 0.1]), ee_rpy=yaw, opening=MAX_OPENING),
            Config(ee_pos=np.array([c[0], c[1], self._grasp_z()]), ee_rpy=yaw,
                   opening=self.cube_size),
            Config(ee_pos=lift_c - [0, 0, 0.005], ee_rpy=yaw, opening=self.cube_size,
                   objects={self.cube: (lift_c, orn)}),
        ]  # fmt: skip

    def _subgoal_configs(self) -> list[Config]:
        return self._grasp_configs()

    # ----------------------------------------------------------------- expert
    def _grasp_action(self) -> np.ndarray:
        """Approach, align, descend, close. Returns the 7-D action."""
        s = self._state()
        ee, opening = s[:3].astype(np.float64), float(s[6])
        c = self.cube_pos()
        a = np.zeros(7)
        a[5] = np.clip(self._grasp_yaw() - s[5], -0.15, 0.15)
        a[3:5] = -s[3:5] * 0.5
        xy_err = c[:2] - ee[:2]
        low = ee[2] < c[2] + 0.03
        aligned = np.linalg.norm(xy_err) < (0.02 if low else 0.008)
        yaw_ok = abs(self._grasp_yaw() - s[5]) < 0.08
        if low and opening < self.cube_size - 0.012:  # closed on nothing: open and back off
            a[2], a[6] = 0.02, 0.02
        elif not aligned:
            pre_z = c[2] + 0.1
            if low:  # rise before moving sideways, so the fingers do not sweep the cube
                a[2] = 0.02
            else:
                a[:2] = _step_toward(xy_err, 0.9)[:2]
                a[2] = _step_toward([0, 0, pre_z - ee[2]], 0.5)[2]
            a[6] = 0.02
        elif ee[2] > self._grasp_z() + 0.008:  # descend with the gripper open (3 cm of play)
            a[:2] = _step_toward(xy_err, 0.8)[:2]
            ready = opening > self.cube_size + 0.015 and yaw_ok
            a[2] = _step_toward([0, 0, self._grasp_z() - ee[2]], 0.5)[2] if ready else 0.0
            a[6] = np.clip(self.cube_size + 0.03 - opening, -0.02, 0.02)
        else:  # at the cube: close
            a[6] = -0.02
        return np.clip(a, FRANKA_ACTION_SPEC.low, FRANKA_ACTION_SPEC.high)

    def _lift_action(self, target: np.ndarray) -> np.ndarray:
        """Holding the cube: carry the hand toward ``target`` (3,), keep closing."""
        ee = self._ee_pos()
        a = np.zeros(7)
        a[:3] = _step_toward(target - ee, 0.8)
        a[6] = -0.02
        return a

    def expert_action(self) -> np.ndarray:
        if not self.held():
            return self._grasp_action().astype(np.float32)
        ee = self._ee_pos()
        lift_z = LIFT_HEIGHT + self.cube_size / 2 + 0.04
        return self._lift_action(np.array([ee[0], ee[1], lift_z])).astype(np.float32)

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "cube_pos": self.cube_pos().tolist(),
            "cube_size": self.cube_size,
            "cube_color": self.cube_color,
            "held": self.held(),
        }


class FrankaPickPlaceEnv(FrankaGraspEnv):
    """Grasp the cube and put it into the tray; success once it rests inside, released."""

    name = "franka-pick-place"
    max_steps = 140

    def _build_task(self, rng: np.random.Generator) -> None:
        side = 1.0 if rng.random() < 0.5 else -1.0
        self.tray_xy = np.array([rng.uniform(0.45, 0.58), side * rng.uniform(0.16, 0.2)])
        self.tray = self._p.loadURDF(
            "tray/traybox.urdf", [*self.tray_xy, 0.0057], useFixedBase=True,
            globalScaling=TRAY_SCALE,
        )  # fmt: skip
        tray_rgb = rng.uniform(0.3, 0.8, 3)
        self._p.changeVisualShape(self.tray, -1, rgbaColor=[*tray_rgb, 1.0])
        # >= 8 cm between the cube and the tray's outer edge: open fingers must not hit the wall
        xy = np.array([rng.uniform(0.4, 0.6), -side * rng.uniform(0.06, 0.14)])
        self._spawn_cube(rng, xy, rng.uniform(-0.5, 0.5))

    def _grasp_yaw(self) -> float:
        """The cube's other face pair: the 20 cm wide hand then lies along x, clear of the tray."""
        yaw = self._cube_yaw()
        return yaw - math.pi / 2 if yaw >= 0 else yaw + math.pi / 2

    def in_tray(self) -> bool:
        c = self.cube_pos()
        inside = np.all(np.abs(c[:2] - self.tray_xy) < TRAY_INNER)
        return bool(inside and c[2] - self.cube_size / 2 < TRAY_FLOOR + 0.01)

    def is_success(self) -> bool:
        released = not any(self._touching(self.cube, j) for j in self.finger_joints)
        return self.in_tray() and released

    def _carry_z(self) -> float:
        return TRAY_TOP + 0.04 + self.cube_size / 2

    def _subgoal_configs(self) -> list[Config]:
        configs = self._grasp_configs()
        yaw = configs[-1].ee_rpy
        orn = self._body_pose(self.cube)[1]
        carry_c = np.array([*self.tray_xy, self._carry_z()])
        rest_c = np.array([*self.tray_xy, TRAY_FLOOR + self.cube_size / 2])
        configs += [
            Config(ee_pos=carry_c - [0, 0, 0.005], ee_rpy=yaw, opening=self.cube_size,
                   objects={self.cube: (carry_c, orn)}),
            Config(ee_pos=carry_c + [0, 0, 0.03], ee_rpy=yaw, opening=MAX_OPENING,
                   objects={self.cube: (rest_c, orn)}),
        ]  # fmt: skip
        return configs

    def expert_action(self) -> np.ndarray:
        ee = self._ee_pos()
        if self.in_tray():  # released (or about to be): open and back away upward
            a = np.zeros(7)
            a[2], a[6] = 0.02, 0.02
            return a.astype(np.float32)
        if not self.held():
            return self._grasp_action().astype(np.float32)
        over = np.linalg.norm(ee[:2] - self.tray_xy) < 0.03
        if not over:
            # climb first so the cube clears the tray wall, then move over the tray
            lifted = ee[2] > self._carry_z() - 0.02
            target = np.array([*self.tray_xy, self._carry_z()]) if lifted else ee.copy()
            target[2] = self._carry_z()
            return self._lift_action(target).astype(np.float32)
        a = np.zeros(7)
        a[6] = 0.02  # over the tray: let go
        return a.astype(np.float32)

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "tray_xy": self.tray_xy.tolist(),
            "in_tray": self.in_tray(),
            "tray_distance": float(math.dist(self.cube_pos()[:2], self.tray_xy)),
        }
