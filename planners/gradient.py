"""Gradient-based planning: Adam on the action sequence through a differentiable rollout.

JEPA-WMs builds an Adam optimiser for its gradient planner and never calls ``step()``, so its
actions never move. Here the optimiser steps every iteration but the last (``info["adam_steps"]``
reports the count read back from the optimiser's own state). Actions are optimised in the
normalised box u in [-1, 1]^A (a = centre + half_range * u), so one learning rate suits every
robot; after each step u is projected back into the box. ``samples`` starts run in parallel in
one batched rollout; the best plan seen is returned.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from planners.base import BasePlanner, PlannerConfig
from planners.interfaces import Goal, PlanResult


@dataclasses.dataclass(frozen=True)
class GradientConfig(PlannerConfig):
    """samples: parallel starts (the first is the warm start / centre, the rest jittered by
    init_noise in normalised units); iterations: rollouts (iterations - 1 Adam steps); lr: Adam
    learning rate in normalised action units."""

    samples: int = 8
    iterations: int = 10
    lr: float = 0.1
    init_noise: float = 0.3

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.samples < 1 or self.iterations < 2:
            raise ValueError("samples must be >= 1 and iterations >= 2 (one Adam step at least)")
        if self.lr <= 0 or self.init_noise < 0:
            raise ValueError("lr must be > 0 and init_noise >= 0")


class GradientPlanner(BasePlanner):
    """Projected Adam over N parallel plans [N, H, A]."""

    Config = GradientConfig
    config: GradientConfig

    def plan(
        self, context: Any, goal: Goal, *, warm_start: torch.Tensor | None = None
    ) -> PlanResult:
        cfg = self.config
        centre = (self.action_high + self.action_low) / 2
        half = torch.clamp(self.half_range, min=1e-12)
        u0 = (self.initial_mean(warm_start) - centre) / half
        noise = cfg.init_noise * self.randn(cfg.samples, self.horizon, self.action_dim)
        noise[0] = 0
        u = torch.nn.Parameter((u0 + noise).clamp(-1, 1))
        opt = torch.optim.Adam([u], lr=cfg.lr)
        self.last_optimizer = opt
        info: dict[str, Any] = {"dropped_nan": 0, "rollouts": 0}
        best_cost, best_plan = float("inf"), self.project(centre + half * u0)
        for it in self.iterations(cfg.iterations, info):
            opt.zero_grad(set_to_none=True)
            with torch.enable_grad():  # callers may plan under no_grad (the policy does)
                actions = self.project(centre + half * u)
                costs = self.evaluate(context, goal, actions)
            finite = torch.isfinite(costs)
            info["dropped_nan"] += int((~finite).sum())
            info["rollouts"] += cfg.samples
            if not bool(finite.any()):
                if best_cost == float("inf"):
                    return self.all_nan_result(info)
                break  # every start diverged: keep the best plan seen
            masked = torch.where(finite, costs.detach(), torch.full_like(costs, float("inf")))
            i = int(torch.argmin(masked))
            if float(masked[i]) < best_cost:
                best_cost, best_plan = float(masked[i]), actions[i].detach().clone()
            if it == cfg.iterations - 1:
                break
            with torch.enable_grad():
                loss = costs[finite].sum()
            if not loss.requires_grad:
                raise RuntimeError(
                    "gradient planner: the rollout/cost is not differentiable "
                    "(was it run under torch.no_grad or inference_mode?)"
                )
            loss.backward()
            u.grad = torch.nan_to_num(u.grad, nan=0.0, posinf=0.0, neginf=0.0)
            opt.step()
            with torch.no_grad():
                # starts whose rollout was NaN restart from the best plan seen
                u[~finite] = ((best_plan - centre) / half).expand_as(u[~finite])
                u.copy_(torch.nan_to_num(u, nan=0.0).clamp(-1, 1))
        info["adam_steps"] = int(opt.state[u]["step"]) if u in opt.state else 0
        info["best_cost"] = best_cost
        return PlanResult(actions=best_plan, cost=best_cost, info=info)
