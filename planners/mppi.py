"""MPPI: model-predictive path integral control (Williams et al. 2017), batched.

Each iteration perturbs the mean plan with Gaussian noise, rolls every perturbation out in one
batch, and moves the mean to the softmin-weighted average of the samples. Costs are normalised
to [0, 1] over the finite samples before the softmin when ``normalize`` is set, so the
temperature does not depend on the energy scale of a particular world model.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from planners.base import BasePlanner, SamplingConfig
from planners.interfaces import Goal, PlanResult


@dataclasses.dataclass(frozen=True)
class MPPIConfig(SamplingConfig):
    """samples per iteration; noise_std as a fraction of the half action range; temperature of
    the softmin; momentum weights the OLD mean; normalize rescales costs to [0, 1] first."""

    noise_std: float = 0.5
    temperature: float = 0.05
    momentum: float = 0.0
    normalize: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.noise_std <= 0 or self.temperature <= 0:
            raise ValueError("noise_std and temperature must be > 0")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError("momentum must be in [0, 1)")


class MPPIPlanner(BasePlanner):
    """MPPI over plans [H, A]; one rollout call per iteration; returns the weighted mean."""

    Config = MPPIConfig
    config: MPPIConfig

    def plan(
        self, context: Any, goal: Goal, *, warm_start: torch.Tensor | None = None
    ) -> PlanResult:
        cfg = self.config
        mean = self.initial_mean(warm_start)
        sigma = cfg.noise_std * self.half_range
        info: dict[str, Any] = {"dropped_nan": 0, "rollouts": 0}
        best_cost = float("inf")
        for _ in self.iterations(cfg.iterations, info):
            samples = mean + sigma * self.randn(cfg.samples, self.horizon, self.action_dim)
            samples[0] = mean
            samples, costs, n_bad = self.score(context, goal, samples, info)
            if n_bad == samples.shape[0]:  # fewer than cfg.samples past the deadline
                if best_cost == float("inf"):
                    return self.all_nan_result(info)
                break  # keep what earlier iterations found
            lo = costs.min()
            best_cost = min(best_cost, float(lo))
            scaled = costs - lo
            if cfg.normalize:
                hi = scaled[torch.isfinite(scaled)].max()
                scaled = scaled / torch.clamp(hi, min=1e-12)
            weights = torch.softmax(-scaled / cfg.temperature, dim=0)  # inf cost -> weight 0
            new_mean = (weights[:, None, None] * samples).sum(0)
            mean = self.project((1 - cfg.momentum) * new_mean + cfg.momentum * mean)
            info["effective_samples"] = float(1.0 / (weights**2).sum())
        info["best_cost"] = best_cost
        return PlanResult(actions=mean, cost=best_cost, info=info)
