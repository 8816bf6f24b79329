"""Mock rollouts for planner tests: a point mass whose latent is its position."""

from __future__ import annotations

import torch

from planners.interfaces import Goal, Prediction

TARGET = torch.tensor([0.5, -0.3, 0.2])
LOW = -0.4 * torch.ones(3)
HIGH = 0.4 * torch.ones(3)


class PointMass:
    """rollout(context=start [A], actions [N, H, A]) -> positions as latents [N, H, 1, A].

    Counts calls and batch sizes; optional ``nan_rows`` marks samples whose first action's
    x component is above a threshold as NaN (a broken model region)."""

    def __init__(self, nan_above: float | None = None, all_nan: bool = False) -> None:
        self.calls = 0
        self.batch_sizes: list[int] = []
        self.nan_above = nan_above
        self.all_nan = all_nan

    def __call__(self, context: torch.Tensor, actions: torch.Tensor) -> Prediction:
        self.calls += 1
        self.batch_sizes.append(int(actions.shape[0]))
        pos = context + torch.cumsum(actions, dim=1)  # [N, H, A]
        if self.all_nan:
            pos = pos * float("nan")
        elif self.nan_above is not None:
            bad = actions[:, 0, 0] > self.nan_above
            pos = torch.where(bad[:, None, None], torch.full_like(pos, float("nan")), pos)
        return Prediction(latents=pos[:, :, None, :], states=pos)


def goal(target: torch.Tensor = TARGET) -> Goal:
    return Goal(latent=target[None, :].clone(), state=target.clone())
