"""iCEM: CEM with temporally correlated (colored) noise, population decay and elite reuse.

After Pinneri et al., "Sample-efficient Cross-Entropy Method for Real-time Planning" (CoRL 2020):
noise with power spectrum 1/f^beta along the horizon (beta=0 white, 2 red), the population
shrinking by ``population_decay`` per iteration, a ``keep_fraction`` of the elites carried into the
next iteration (their costs are known, so they are not rolled out again), the mean added to the
last iteration, momentum on mean/std, and the best sequence seen returned.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from planners.base import BasePlanner, EliteConfig
from planners.interfaces import Goal, PlanResult


@dataclasses.dataclass(frozen=True)
class ICEMConfig(EliteConfig):
    """samples: first-iteration population; population_decay: divisor per iteration (floored at
    2 * topk); beta: noise colour exponent; keep_fraction: share of the elites reused next
    iteration; momentum weights the OLD mean/std; init_std/min_std as fractions of half range."""

    beta: float = 2.0
    population_decay: float = 1.25
    keep_fraction: float = 0.3
    momentum: float = 0.1
    return_best: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.beta < 0 or self.population_decay < 1.0:
            raise ValueError("beta must be >= 0 and population_decay >= 1")
        if not (0.0 <= self.keep_fraction <= 1.0 and 0.0 <= self.momentum < 1.0):
            raise ValueError("keep_fraction must be in [0, 1] and momentum in [0, 1)")


def colored_noise(
    beta: float, n: int, horizon: int, dim: int, generator: torch.Generator, device: torch.device
) -> torch.Tensor:
    """[n, horizon, dim] unit-variance Gaussian noise with power spectrum ~ 1/f^beta over time.

    Same construction as the ``colorednoise`` package (powerlaw_psd_gaussian) used by iCEM."""
    if horizon == 1 or beta == 0:
        return torch.randn(n, horizon, dim, generator=generator, device=device)
    freqs = torch.fft.rfftfreq(horizon, device=device)
    freqs[0] = 1.0 / horizon  # the DC term gets the lowest resolvable frequency's power
    scale = freqs.pow(-beta / 2.0)
    w = scale[1:].clone()
    w[-1] *= (1 + (horizon % 2)) / 2.0
    sigma = 2 * torch.sqrt((w**2).sum()) / horizon
    shape = (n, dim, freqs.shape[0])
    re = torch.randn(shape, generator=generator, device=device) * scale
    im = torch.randn(shape, generator=generator, device=device) * scale
    if horizon % 2 == 0:
        im[..., -1] = 0
        re[..., -1] *= 2**0.5
    im[..., 0] = 0
    re[..., 0] *= 2**0.5
    x = torch.fft.irfft(torch.complex(re, im), n=horizon, dim=-1) / sigma
    return x.transpose(1, 2).contiguous()


class ICEMPlanner(BasePlanner):
    """iCEM over plans [H, A]; one rollout call of the new samples per iteration."""

    Config = ICEMConfig
    config: ICEMConfig

    def plan(
        self, context: Any, goal: Goal, *, warm_start: torch.Tensor | None = None
    ) -> PlanResult:
        cfg = self.config
        mean = self.initial_mean(warm_start)
        std = (cfg.init_std * self.half_range).expand(self.horizon, -1).clone()
        floor = cfg.min_std * self.half_range
        kept = torch.empty(0, self.horizon, self.action_dim, device=self.device)
        kept_costs = torch.empty(0, device=self.device)
        info: dict[str, Any] = {"dropped_nan": 0, "rollouts": 0, "population": []}
        best_cost, best_plan = float("inf"), mean
        for it in self.iterations(cfg.iterations, info):
            n = max(int(cfg.samples / cfg.population_decay**it), min(2 * cfg.topk, cfg.samples))
            noise = colored_noise(
                cfg.beta, n, self.horizon, self.action_dim, self.generator, self.device
            )
            samples = mean + std * noise
            if it == cfg.iterations - 1 or it == 0:
                samples[0] = mean  # the mean (or warm start) always gets evaluated
            samples, costs, _ = self.score(context, goal, samples, info)
            info["population"].append(samples.shape[0])  # fewer than n past the deadline
            pool = torch.cat([samples, kept])
            pool_costs = torch.cat([costs, kept_costs])
            n_ok = int(torch.isfinite(pool_costs).sum())
            if n_ok == 0:
                if best_cost == float("inf"):
                    return self.all_nan_result(info)
                break  # keep what earlier iterations found
            elite_costs, idx = torch.topk(pool_costs, min(cfg.topk, n_ok), largest=False)
            elites = pool[idx]
            if float(elite_costs[0]) < best_cost:
                best_cost, best_plan = float(elite_costs[0]), elites[0]
            n_keep = int(round(cfg.keep_fraction * elites.shape[0]))
            kept, kept_costs = elites[:n_keep], elite_costs[:n_keep]
            new_std = elites.std(0, unbiased=False) if elites.shape[0] > 1 else std
            mean = (1 - cfg.momentum) * elites.mean(0) + cfg.momentum * mean
            std = torch.maximum((1 - cfg.momentum) * new_std + cfg.momentum * std, floor)
        plan = best_plan if cfg.return_best else self.project(mean)
        info.update(best_cost=best_cost, final_std=float(std.mean()))
        return PlanResult(actions=plan, cost=best_cost, info=info)
