"""Receding-horizon latent MPC, generic over callables (no model class, no robot class).

Each control step: observe, encode (history -> rollout context, plus the current latent),
plan H actions warm-started from the shifted previous plan, execute the first ``execute_steps``
of them, then replan. A ``SubgoalSchedule`` walks through a list of goals (pre-grasp, grasp,
lift: how V-JEPA 2-AC solved pick-and-place), switching when the current energy to the active
subgoal falls below ``switch_energy`` or after ``steps_per_subgoal`` steps.

Usage::

    ctrl = RecedingHorizon(planner, MPCConfig(execute_steps=1))
    trace = run_mpc(ctrl, observe, encode, execute, SubgoalSchedule([g1, g2]), max_steps=50)
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
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


class SubgoalSchedule:
    """A sequence of goals; the last one is held once reached.

    Switching (checked once per control step via ``update``): the energy of the CURRENT
    observation to the active subgoal is <= ``switch_energy``, or the subgoal has been active
    for ``steps_per_subgoal`` steps. With neither set it never switches.
    """

    def __init__(
        self,
        goals: Sequence[Goal],
        switch_energy: float | None = None,
        steps_per_subgoal: int | None = None,
    ) -> None:
        if len(goals) == 0:
            raise ValueError("SubgoalSchedule needs at least one goal")
        if steps_per_subgoal is not None and steps_per_subgoal < 1:
            raise ValueError("steps_per_subgoal must be >= 1")
        self.goals = list(goals)
        self.switch_energy = switch_energy
        self.steps_per_subgoal = steps_per_subgoal
        self.reset()

    def reset(self) -> None:
        self.index = 0
        self.steps_on_goal = 0

    @property
    def goal(self) -> Goal:
        return self.goals[self.index]

    @property
    def is_last(self) -> bool:
        return self.index == len(self.goals) - 1

    def update(self, energy: float) -> bool:
        """Record one step at ``energy``; advance to the next subgoal if due. True if switched."""
        if self.is_last:
            self.steps_on_goal += 1
            return False
        reached = self.switch_energy is not None and energy <= self.switch_energy
        timed_out = (
            self.steps_per_subgoal is not None and self.steps_on_goal + 1 >= self.steps_per_subgoal
        )
        if reached or timed_out:
            self.index += 1
            self.steps_on_goal = 0
            return True
        self.steps_on_goal += 1
        return False


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


@dataclasses.dataclass
class MPCTrace:
    """What a closed loop did: per step the action [A], the energy of the observation to the
    active subgoal, the subgoal index and the planning time (0 when no replan happened)."""

    actions: list[torch.Tensor] = dataclasses.field(default_factory=list)
    energies: list[float] = dataclasses.field(default_factory=list)
    subgoals: list[int] = dataclasses.field(default_factory=list)
    plan_ms: list[float] = dataclasses.field(default_factory=list)
    stopped_early: bool = False


def current_energy(
    cost: Callable[[Prediction, Goal], torch.Tensor], now: Prediction, goal: Goal
) -> float:
    """Energy of the current observation (latents [1, 1, P, D]) to ``goal``, as a float."""
    return float(torch.as_tensor(cost(now, goal)).reshape(-1)[0])


def run_mpc(
    controller: RecedingHorizon,
    observe: Callable[[], Any],
    encode: Callable[[Any], tuple[Any, Prediction]],
    execute: Callable[[torch.Tensor], Any],
    schedule: SubgoalSchedule,
    max_steps: int,
    done: Callable[[Any], bool] | None = None,
) -> MPCTrace:
    """Closed loop for ``max_steps`` steps (or until ``done(obs)``).

    observe() -> obs; encode(obs) -> (rollout context, current Prediction [1, 1, P, D]);
    execute(action [A]) sends the command. The planner's own cost scores the current latent
    against the active subgoal to decide switching.
    """
    trace = MPCTrace()
    schedule.reset()
    controller.reset()
    for _ in range(max_steps):
        obs = observe()
        if done is not None and done(obs):
            trace.stopped_early = True
            break
        context, now = encode(obs)
        energy = current_energy(controller.planner.cost, now, schedule.goal)
        if schedule.update(energy):
            controller.reset()  # the old plan aimed at the previous subgoal
            energy = current_energy(controller.planner.cost, now, schedule.goal)
        action, info = controller.act(context, schedule.goal)
        execute(action)
        trace.actions.append(action)
        trace.energies.append(energy)
        trace.subgoals.append(schedule.index)
        trace.plan_ms.append(info["plan_ms"] if info["replanned"] else 0.0)
    return trace
