"""Energies between predicted and goal latents: what the planners minimise.

V-JEPA 2-AC plans on the mean L1 distance to the goal latent at the last step; JEPA-WMs found L2
slightly better for DINO features. Both are here, on the last step or summed over the horizon,
with an optional proprioceptive term against ``goal.state``.

Usage::

    cost = make_cost(CostConfig(kind="l1", mode="last", state_weight=0.0))
    energies = cost(prediction, goal)     # [N]
"""

from __future__ import annotations

import dataclasses

import torch

from planners.interfaces import CostFn, Goal, Prediction

COST_KINDS = ("l1", "l2")
COST_MODES = ("last", "sum")


@dataclasses.dataclass(frozen=True)
class CostConfig:
    """kind: "l1" (mean |diff|) or "l2" (mean squared diff) over patches and channels;
    mode: "last" (final predicted step) or "sum" (summed over the H steps);
    state_weight: weight of the same distance between predicted states and ``goal.state``
    (ignored when either is missing); state_scale: per-dimension divisor of the state
    difference (e.g. a state std) so units are comparable, or empty for none."""

    kind: str = "l1"
    mode: str = "last"
    state_weight: float = 0.0
    state_scale: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in COST_KINDS:
            raise ValueError(f"cost kind {self.kind!r} unknown; valid: {', '.join(COST_KINDS)}")
        if self.mode not in COST_MODES:
            raise ValueError(f"cost mode {self.mode!r} unknown; valid: {', '.join(COST_MODES)}")
        if self.state_weight < 0:
            raise ValueError("state_weight must be >= 0")


def _distance(diff: torch.Tensor, kind: str, reduce_dims: tuple[int, ...]) -> torch.Tensor:
    return diff.abs().mean(reduce_dims) if kind == "l1" else diff.pow(2).mean(reduce_dims)


def latent_energy(latents: torch.Tensor, goal_latent: torch.Tensor, kind: str) -> torch.Tensor:
    """latents [N, H, P, D] vs goal [P, D] -> per-step energy [N, H]."""
    return _distance(latents - goal_latent.to(latents), kind, (-2, -1))


def make_cost(config: CostConfig | None = None) -> CostFn:
    """Build the cost callable ``(Prediction, Goal) -> [N]`` described by ``config``."""
    cfg = config or CostConfig()
    scale = torch.tensor(cfg.state_scale, dtype=torch.float32) if cfg.state_scale else None

    def cost(pred: Prediction, goal: Goal) -> torch.Tensor:
        per_step = latent_energy(pred.latents, goal.latent, cfg.kind)  # [N, H]
        if cfg.state_weight > 0 and pred.states is not None and goal.state is not None:
            diff = pred.states - goal.state.to(pred.states)
            if scale is not None:
                diff = diff / scale.to(diff)
            per_step = per_step + cfg.state_weight * _distance(diff, cfg.kind, (-1,))
        return per_step[:, -1] if cfg.mode == "last" else per_step.sum(1)

    return cost
