"""World-model interface: what the composition layer (policies, ROS nodes, benches) relies on.

Shapes (B batch, T frames, H planned steps, C context frames, P patch tokens, D latent dim,
S state dim, A action dim). Images enter as uint8 [B, T, H_img, W_img, 3]; the model resizes
and normalises internally so callers never duplicate preprocessing.

Token layout per time step (V-JEPA 2-AC): ``[action_t, state_t, patches_t]``; attention is
block-causal over time steps; the output at step t predicts frame t+1's layer-normed latents.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch


@runtime_checkable
class WorldModel(Protocol):
    action_dim: int
    state_dim: int
    context_len: int  # C, frames of history the predictor attends to (1 = Markov)

    def encode(self, rgb: torch.Tensor) -> torch.Tensor:
        """uint8 [B, T, H_img, W_img, 3] -> latents [B, T, P, D] (the prediction target space)."""
        ...

    def make_context(
        self, latents: torch.Tensor, states: torch.Tensor, past_actions: torch.Tensor
    ) -> Any:
        """Precompute the history once per MPC step (KV cache of the context tokens).

        latents [1, C, P, D], states [1, C, S] (raw units; the model normalises),
        past_actions [1, C-1, A] (empty for C = 1).
        """
        ...

    def rollout(self, context: Any, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """KV-cached autoregressive rollout for N candidate plans from one context.

        actions [N, H, A] -> (latents [N, H, P, D], states [N, H, S] in raw units).
        Step h feeds its own prediction back in (no teacher forcing).
        """
        ...
