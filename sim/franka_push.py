"""franka-push: push a cube into a target disc drawn on the table (success: centre within 5 cm).

The expert closes the gripper, goes behind the cube on the cube-to-target line, lowers the
fingertips to cube height and pushes through the cube, re-approaching when the cube turns away.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pybullet as p

from sim.franka_base import FRANKA_ACTION_SPEC, Config, FrankaEnv

TARGET_RADIUS = 0.05
PUSH_Z = 0.035  # grasp point height while pushing (fingertips ~2 cm above the table)
HOVER_Z = 0.09


class FrankaPushEnv(FrankaEnv):
    """Push the cube 12-18 cm across the table into the target disc."""

    name = "franka-push"
    max_steps = 120

    def _build_task(self, rng: np.random.Generator) -> None:
        for _ in range(100):  # rejection-sample a target inside the reachable table area
            xy = np.array([rng.uniform(0.42, 0.58), rng.uniform(-0.12, 0.12)])
            ang = rng.uniform(-math.pi, math.pi)
            dist = rng.uniform(0.12, 0.18)
            goal = xy + dist * np.array([math.cos(ang), math.sin(ang)])
            if 0.36 <= goal[0] <= 0.66 and abs(goal[1]) <= 0.2:
                break
        self.target = goal
        self._spawn_cube(rng, xy, rng.uniform(-0.5, 0.5))
        disc = self._p.createVisualShape(
            p.GEOM_CYLINDER, radius=TARGET_RADIUS, length=0.002,
            rgbaColor=[*(1.0 - np.asarray(self.cube_color)) * 0.6 + 0.2, 1.0],
        )  # fmt: skip
        self.marker = self._p.createMultiBody(
            baseMass=0, baseVisualShapeIndex=disc, basePosition=[*goal, 0.001]
        )

    def cube_pos(self) -> np.ndarray:
        return self._body_pose(self.cube)[0]

    def distance(self) -> float:
        """Cube centre to target centre, in the table plane (metres)."""
        return float(np.linalg.norm(self.cube_pos()[:2] - self.target))

    def is_success(self) -> bool:
        return self.distance() < TARGET_RADIUS

    def _subgoal_configs(self) -> list[Config]:
        c = self.cube_pos()
        u = self.target - c[:2]
        u = u / max(np.linalg.norm(u), 1e-6)
        orn = self._body_pose(self.cube)[1]
        ee = np.array([*(self.target - u * (self.cube_size / 2 + 0.02)), PUSH_Z + 0.03])
        cube = np.array([*self.target, c[2]])
        return [Config(ee_pos=ee, opening=0.0, objects={self.cube: (cube, orn)})]

    def expert_action(self) -> np.ndarray:
        s = self._state()
        ee = s[:3].astype(np.float64)
        c = self.cube_pos()
        d = self.target - c[:2]
        u = d / max(np.linalg.norm(d), 1e-6)
        perp = np.array([-u[1], u[0]])
        rel = ee[:2] - c[:2]
        along, lateral = float(rel @ u), float(rel @ perp)
        half = self.cube_size / 2
        behind = c[:2] - u * (half + 0.035)
        a = np.zeros(7)
        a[3:6] = -s[3:6] * 0.5
        a[6] = -0.02  # a closed gripper is a narrow, stiff pusher
        in_line = along < -half + 0.005 and abs(lateral) < 0.012 and ee[2] < PUSH_Z + 0.015
        if in_line:  # push through the cube toward the target, correcting sideways drift
            a[:2] = u * 0.02 - perp * lateral * 0.5
            a[2] = PUSH_Z - ee[2]
        elif np.linalg.norm(ee[:2] - behind) > 0.012:
            near_cube = np.linalg.norm(rel) < half + 0.05
            if ee[2] < HOVER_Z - 0.02 and near_cube:  # lift clear before going around,
                a[2] = HOVER_Z - ee[2]
                # backing off the cube: lifting straight up can hook the closed fingers on its
                # edge and tip the wrist into its joint limit (seen on eval seed 1000001)
                a[:2] = rel / max(np.linalg.norm(rel), 1e-6) * 0.01
            else:
                a[:2] = (behind - ee[:2]) * 0.9
                a[2] = (HOVER_Z - ee[2]) * 0.5
        else:  # behind the cube: lower to pushing height
            a[:2] = behind - ee[:2]
            a[2] = (PUSH_Z - ee[2]) * 0.6
        return np.clip(a, FRANKA_ACTION_SPEC.low, FRANKA_ACTION_SPEC.high).astype(np.float32)

    def info(self) -> dict[str, Any]:
        return {
            **super().info(),
            "cube_pos": self.cube_pos().tolist(),
            "target": self.target.tolist(),
            "distance": self.distance(),
            "cube_size": self.cube_size,
        }
