"""Cross-entropy method with V-JEPA 2-AC semantics.

As in vjepa2's ``cem`` (notebooks/utils/mpc_utils.py): a Gaussian over the [H, A] plan, samples
clipped to the action box, the top-k elites refit mean and std, both updated with momentum
(``new = (1 - m) * elite_stat + m * old``), and the MEAN is returned as the plan, not the best
sample. Dimensions in ``fixed_dims`` (e.g. rotation deltas) stay at 0.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from planners.base import BasePlanner, EliteConfig
from planners.interfaces import Goal, PlanResult


@dataclasses.dataclass(frozen=True)
class CEMConfig(EliteConfig):
    """samples N per iteration; topk elites; init_std as a fraction of the half action range;
    momentum_* weights the OLD statistic; min_std floors the std (fraction of half range);
    include_mean evaluates the current mean as one of the N samples (so a good warm start is
    never lost); return_best returns the best sample instead of the mean."""

    momentum_mean: float = 0.15
    momentum_std: float = 0.15
    include_mean: bool = True
    return_best: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (0.0 <= self.momentum_mean < 1.0 and 0.0 <= self.momentum_std < 1.0):
            raise ValueError("momentum_mean and momentum_std must be in [0, 1)")


class CEMPlanner(BasePlanner):
    """CEM over plans [H, A]; one rollout call of ``samples`` sequences per iteration."""

    Config = CEMConfig
    config: CEMConfig

    def plan(
        self, context: Any, goal: Goal, *, warm_start: torch.Tensor | None = None
    ) -> PlanResult:
        cfg = self.config
        mean = self.initial_mean(warm_start)
        std = (cfg.init_std * self.half_range).expand(self.horizon, -1).clone()
        floor = cfg.min_std * self.half_range
        info: dict[str, Any] = {"dropped_nan": 0, "rollouts": 0}
        best_cost, best_plan = float("inf"), mean
        for _ in self.iterations(cfg.iterations, info):
            samples = mean + std * self.randn(cfg.samples, self.horizon, self.action_dim)
            if cfg.include_mean:
                samples[0] = mean
            samples, costs, n_bad = self.score(context, goal, samples, info)
            n = samples.shape[0]  # fewer than cfg.samples when the deadline cut it short
            if n_bad == n:
                if best_cost == float("inf"):
                    return self.all_nan_result(info)
                break  # keep what earlier iterations found
            k = min(cfg.topk, n - n_bad)
            elite_costs, idx = torch.topk(costs, k, largest=False)
            elites = samples[idx]
            if float(elite_costs[0]) < best_cost:
                best_cost, best_plan = float(elite_costs[0]), elites[0]
            new_std = elites.std(0, unbiased=False) if k > 1 else std
            mean = (1 - cfg.momentum_mean) * elites.mean(0) + cfg.momentum_mean * mean
            std = torch.maximum((1 - cfg.momentum_std) * new_std + cfg.momentum_std * std, floor)
            info["elite_cost"] = float(elite_costs.mean())
        plan = best_plan if cfg.return_best else self.project(mean)
        info.update(best_cost=best_cost, final_std=float(std.mean()))
        return PlanResult(actions=plan, cost=best_cost, info=info)
