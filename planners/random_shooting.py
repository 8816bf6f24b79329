"""Random shooting: the baseline every planner must beat.

N plans drawn uniformly in the action box (plus the warm start, if given) are rolled out in one
batch and the cheapest is returned.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from planners.base import BasePlanner, SamplingConfig
from planners.interfaces import Goal, PlanResult


@dataclasses.dataclass(frozen=True)
class RandomShootingConfig(SamplingConfig):
    """samples: plans drawn per iteration; iterations: independent rounds (best kept)."""

    iterations: int = 1


class RandomShootingPlanner(BasePlanner):
    """Uniform samples in [low, high]; one rollout call per iteration."""

    Config = RandomShootingConfig
    config: RandomShootingConfig

    def plan(
        self, context: Any, goal: Goal, *, warm_start: torch.Tensor | None = None
    ) -> PlanResult:
        cfg = self.config
        info: dict[str, Any] = {"dropped_nan": 0, "rollouts": 0}
        best_cost, best_plan = float("inf"), None
        for _ in self.iterations(cfg.iterations, info):
            u = self.rand(cfg.samples, self.horizon, self.action_dim)
            samples = self.action_low + u * (self.action_high - self.action_low)
            if warm_start is not None:
                samples[0] = self.initial_mean(warm_start)
            samples, costs, n_bad = self.score(context, goal, samples, info)
            if n_bad < samples.shape[0]:  # fewer than cfg.samples past the deadline
                i = int(torch.argmin(costs))
                if float(costs[i]) < best_cost:
                    best_cost, best_plan = float(costs[i]), samples[i]
        if best_plan is None:
            return self.all_nan_result(info)
        info["best_cost"] = best_cost
        return PlanResult(actions=best_plan, cost=best_cost, info=info)
