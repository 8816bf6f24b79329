"""The one robot interface shared by simulated (``sim/``) and real (``hardware/``) robots.

The same control code drives both: it calls ``reset``, ``get_observation`` and ``send_action``.
``send_action`` returns the action actually applied, after safety clipping (as LeRobot's
``Robot.send_action`` does), so callers can log what the robot really received.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass
class Observation:
    """One synchronous observation.

    rgb:        (H, W, 3) uint8, the main (third-person or on-board) camera.
    state:      (S,) float32 proprioception (Franka: ee xyz, rpy, gripper opening; Husky: x, y, yaw).
    timestamp:  seconds (sim time in simulation, wall or header time on real robots).
    images:     extra cameras by name, e.g. {"wrist": (H, W, 3) uint8}; stored as ``rgb_<name>``.
    """

    rgb: np.ndarray
    state: np.ndarray
    timestamp: float
    images: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionSpec:
    """Bounds and names of a robot's action vector; every command is clipped to [low, high]."""

    names: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray

    @property
    def dim(self) -> int:
        return len(self.names)

    def clip(self, action: np.ndarray) -> np.ndarray:
        """Clip to bounds; NaN or inf entries become 0 (no motion), never pass through."""
        a = np.asarray(action, dtype=np.float64).reshape(-1)
        if a.shape[0] != self.dim:
            raise ValueError(f"action has {a.shape[0]} entries, expected {self.dim} ({self.names})")
        a = np.where(np.isfinite(a), a, 0.0)
        return np.clip(a, self.low, self.high).astype(np.float32)


@runtime_checkable
class Robot(Protocol):
    """A simulated or real robot."""

    action_spec: ActionSpec
    state_names: tuple[str, ...]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> Observation:
        """Start an episode (sim: re-draw the scene from ``seed``) and return the first observation."""
        ...

    def get_observation(self) -> Observation:
        """The latest observation, without moving the robot."""
        ...

    def send_action(self, action: np.ndarray) -> np.ndarray:
        """Clip ``action`` (A,) to limits, execute one control step, return the applied action."""
        ...

    def close(self) -> None:
        """Release the simulator or the hardware connection."""
        ...
