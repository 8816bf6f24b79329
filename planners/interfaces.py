"""Planner interface. A planner searches action sequences; it knows nothing about models.

Shapes (N samples, H horizon, A action dim, P patch tokens, D latent dim, S state dim):

    RolloutFn(context, actions [N, H, A]) -> Prediction(latents [N, H, P, D], states [N, H, S] | None)
    CostFn(prediction, goal) -> cost [N]        (lower is better; NaN marks a broken sample)

``context`` is opaque to the planner: whatever the rollout needs (encoded history, KV cache).
The planner only passes it back to the rollout.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class Prediction:
    """What a rollout predicts for N candidate action sequences.

    latents: [N, H, P, D] predicted (layer-normed) latents after each action.
    states:  [N, H, S] predicted proprioception, or None when the model does not predict it.
    """

    latents: torch.Tensor
    states: torch.Tensor | None = None


@dataclass
class Goal:
    """A goal in latent space: latent [P, D] (encoded goal image), optional state [S]."""

    latent: torch.Tensor
    state: torch.Tensor | None = None


RolloutFn = Callable[[Any, torch.Tensor], Prediction]
CostFn = Callable[[Prediction, Goal], torch.Tensor]


@dataclass
class PlanResult:
    """actions [H, A] (the plan, first action first), its cost, and planner-specific info."""

    actions: torch.Tensor
    cost: float
    info: dict[str, Any] = field(default_factory=dict)


class Planner(ABC):
    """Minimise ``cost(rollout(context, actions), goal)`` over actions within ``[low, high]``.

    Args:
        rollout: the batched rollout callable.
        cost: the cost callable.
        action_low, action_high: [A] bounds from the robot (``ActionSpec``).
        horizon: H, the number of planned steps.
        device: where samples live; passed in explicitly, never guessed.
    """

    def __init__(
        self,
        rollout: RolloutFn,
        cost: CostFn,
        action_low: torch.Tensor,
        action_high: torch.Tensor,
        horizon: int,
        device: torch.device | str = "cpu",
    ) -> None:
        self.rollout = rollout
        self.cost = cost
        self.device = torch.device(device)
        self.action_low = torch.as_tensor(action_low, dtype=torch.float32, device=self.device)
        self.action_high = torch.as_tensor(action_high, dtype=torch.float32, device=self.device)
        self.horizon = int(horizon)

    @property
    def action_dim(self) -> int:
        return int(self.action_low.shape[0])

    @abstractmethod
    def plan(
        self, context: Any, goal: Goal, *, warm_start: torch.Tensor | None = None
    ) -> PlanResult:
        """Return the best plan found. ``warm_start`` [H, A] seeds the search (e.g. the shifted
        previous plan). Samples whose cost is NaN are dropped; if all are NaN the planner returns
        zeros with ``info["all_nan"] = True`` and logs a warning."""
