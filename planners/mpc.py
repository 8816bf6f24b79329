"""Receding-horizon latent MPC, generic over callables (no model class, no robot class).

Each control step: plan H actions warm-started from the shifted previous plan, execute the first
``execute_steps`` of them, then replan. The closed loop itself (observe, encode, act) is
``jepa_wm.app.policy.WorldModelPolicy``, the one loop `jepa-wm eval`, the bench and the ROS
planner node share; which subgoal it plans toward is ``planners.subgoals.SubgoalSequencer``'s call.

Usage::

    ctrl = RecedingHorizon(planner, MPCConfig(execute_steps=1))
    action, info = ctrl.act(context, goal)      # info["replanned"], info["plan_ms"], ...
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import torch

from planners.base import shift_plan
from planners.interfaces import Goal, Planner, Prediction


@dataclasses.dataclass(frozen=True)
class MPCConfig:
    """execute_steps: actions executed from each plan before replanning (1 = replan every step);
    warm_start: seed each plan with the previous one shifted by the executed steps;
    shift_fill: pad the shifted plan's tail with "zeros" or the "last" action."""

    execute_steps: int = 1
    warm_start: bool = True
    shift_fill: str = "zeros"

    def __post_init__(self) -> None:
        if self.execute_steps < 1:
            raise ValueError("execute_steps must be >= 1")
        if self.shift_fill not in ("zeros", "last"):
            raise ValueError("shift_fill must be 'zeros' or 'last'")


class RecedingHorizon:
    """Stateful MPC stepper: returns one action per call, replanning every ``execute_steps``."""

    def __init__(self, planner: Planner, config: MPCConfig | None = None) -> None:
        self.planner = planner
        self.config = config or MPCConfig()
        self.reset()

    def reset(self) -> None:
        """Forget the previous plan and any queued actions (new episode or new goal)."""
        self.previous_plan: torch.Tensor | None = None
        self.queue: list[torch.Tensor] = []
        self.executed = 0
        self.last_plan_info: dict[str, Any] = {}

    def act(self, context: Any, goal: Goal) -> tuple[torch.Tensor, dict[str, Any]]:
        """The next action [A]; plans (timed) when the queue of executed-plan actions is empty."""
        info: dict[str, Any] = {"replanned": False}
        if not self.queue:
            cfg = self.config
            warm = None
            if cfg.warm_start and self.previous_plan is not None:
                warm = shift_plan(self.previous_plan, self.executed, cfg.shift_fill)
            t0 = time.perf_counter()
            result = self.planner.plan(context, goal, warm_start=warm)
            plan_ms = (time.perf_counter() - t0) * 1e3
            plan = result.actions.detach()
            self.previous_plan = plan
            self.queue = list(plan[: cfg.execute_steps])
            self.executed = len(self.queue)
            self.last_plan_info = {
                "plan_ms": plan_ms,
                "plan_cost": float(result.cost),
                **{k: v for k, v in result.info.items() if isinstance(v, int | float | bool)},
            }
            info["replanned"] = True
        info.update(self.last_plan_info)
        return self.queue.pop(0), info


def current_energy(
    cost: Callable[[Prediction, Goal], torch.Tensor], now: Prediction, goal: Goal
) -> float:
    """Energy of the current observation (latents [1, 1, P, D]) to ``goal``, as a float."""
    return float(torch.as_tensor(cost(now, goal)).reshape(-1)[0])
