"""State read-out: the latents of one frame -> that frame's proprioceptive state.

A small MLP on the frozen encoder's layer-normed patch latents, trained after the world model
(``jepa-wm fit-readout``) on the store frames it was trained on. Its job is image-only goals: the
planner's state term needs the goal's state, and a user who only has a goal *image* has none.
The read-out estimates it from that image, so the goal the user gives stays an image and the
estimate is part of the model (DINO-WM and JEPA-WMs add proprioception to the planning energy
with the goal's true state; here it comes from pixels).

Shapes: latents [B, P, D] -> states [B, S], in the model's normalised state units (the world
model denormalises).
"""

from __future__ import annotations

import torch
from torch import nn


class StateReadout(nn.Module):
    """MLP over the flattened patch latents: [B, P, D] -> [B, S] (normalised state units)."""

    def __init__(self, num_tokens: int, latent_dim: int, state_dim: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(1),
            nn.Linear(num_tokens * latent_dim, hidden),
            nn.GELU(),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            nn.Linear(hidden, state_dim),
        )

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        return self.net(latents)
