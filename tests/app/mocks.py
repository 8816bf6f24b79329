"""A point-mass world model and world for closed-loop tests of WorldModelPolicy.

The "camera" shows the point's position [3] as one pixel, 1 cm per grey level around 128, so the
policy's real path (encode the image, build the context, plan, clip) runs on a model whose
rollout is exact: position + cumulative actions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from hardware.interfaces import Observation

SCALE = 100.0  # grey levels per metre
LOW = -0.4 * np.ones(3, dtype=np.float32)
HIGH = -LOW


def pixel(pos: np.ndarray) -> np.ndarray:
    """Position [3] (m, within +-1.27) -> the one-pixel image uint8 [1, 1, 3]."""
    return np.clip(np.round(np.asarray(pos) * SCALE) + 128, 0, 255).astype(np.uint8)[None, None]


def point_obs(pos: np.ndarray) -> Observation:
    """The observation of a point at ``pos`` [3]: its pixel and its position as the state."""
    return Observation(rgb=pixel(pos), state=np.asarray(pos, dtype=np.float32), timestamp=0.0)


class PointMassModel:
    """WorldModel of a point mass: latent = position ([P=1, D=3]), action = displacement [3]."""

    action_dim = 3
    state_dim = 3
    context_len = 1

    def encode(self, rgb: torch.Tensor) -> torch.Tensor:
        """uint8 [B, T, 1, 1, 3] -> latents [B, T, 1, 3]."""
        b, t = rgb.shape[:2]
        return (rgb.reshape(b, t, 1, 3).float() - 128.0) / SCALE

    def make_context(
        self, latents: torch.Tensor, states: torch.Tensor, past_actions: torch.Tensor
    ) -> Any:
        """The latest position [3]."""
        return latents[0, -1, 0]

    def rollout(self, context: Any, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """actions [N, H, 3] -> (latents [N, H, 1, 3], states [N, H, 3])."""
        pos = context + torch.cumsum(actions, dim=1)
        return pos[:, :, None, :], pos


class PointWorld:
    """The point the loop observes and moves (exact position, no quantisation)."""

    def __init__(self) -> None:
        self.pos = np.zeros(3)

    def observe(self) -> Observation:
        return point_obs(self.pos)

    def execute(self, action: np.ndarray) -> None:
        self.pos = self.pos + np.clip(action, LOW, HIGH)
