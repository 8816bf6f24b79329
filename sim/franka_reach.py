"""franka-reach: move the end effector within 3 cm of a target point.

The goal image shows the arm at the target pose (no marker is drawn, so the goal is only in the
arm's configuration, as in V-JEPA 2-AC's reach task).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.franka_base import FRANKA_ACTION_SPEC, MAX_OPENING, Config, FrankaEnv

SUCCESS_RADIUS = 0.03


class FrankaReachEnv(FrankaEnv):
    """Reach a random target in a 30 x 40 x 20 cm box in front of the robot."""

    name = "franka-reach"
    max_steps = 50

    def _build_task(self, rng: np.random.Generator) -> None:
        self.target = np.array(
            [rng.uniform(0.35, 0.65), rng.uniform(-0.2, 0.2), rng.uniform(0.05, 0.25)]
        )

    def _subgoal_configs(self) -> list[Config]:
        return [Config(ee_pos=self.target, opening=MAX_OPENING)]

    def distance(self) -> float:
        """End-effector to target distance (metres)."""
        return float(np.linalg.norm(self._ee_pos() - self.target))

    def is_success(self) -> bool:
        return self.distance() < SUCCESS_RADIUS

    def expert_action(self) -> np.ndarray:
        """Proportional move toward the target, keeping orientation and gripper unchanged."""
        a = np.zeros(7)
        a[:3] = (self.target - self._ee_pos()) * 0.8
        a[3:6] = -self._state()[3:6] * 0.5
        return np.clip(a, FRANKA_ACTION_SPEC.low, FRANKA_ACTION_SPEC.high).astype(np.float32)

    def info(self) -> dict[str, Any]:
        return {**super().info(), "target": self.target.tolist(), "distance": self.distance()}
