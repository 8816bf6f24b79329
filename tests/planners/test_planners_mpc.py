"""The receding-horizon stepper (replanning, warm starts), with a point-mass mock model.

The closed loop around it is WorldModelPolicy: tests/app/test_app_closed_loop.py; subgoal
switching is planners.subgoals: tests/planners/test_planners_subgoals.py."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from planners.base import shift_plan
from planners.costs import CostConfig, make_cost
from planners.interfaces import Goal, Planner, PlanResult
from planners.mpc import MPCConfig, RecedingHorizon
from tests.planners.mocks import HIGH, LOW, PointMass, goal

COST = make_cost(CostConfig(kind="l2", mode="last"))


class Recorder(Planner):
    """Returns a fixed ramp plan and records the warm starts it was given."""

    def __init__(self, horizon: int) -> None:
        super().__init__(PointMass(), COST, LOW, HIGH, horizon)
        self.warm: list[torch.Tensor | None] = []

    def plan(self, context: Any, goal: Goal, *, warm_start=None) -> PlanResult:
        self.warm.append(warm_start)
        plan = torch.arange(self.horizon, dtype=torch.float32)[:, None].expand(-1, 3) / 10
        return PlanResult(actions=plan.clone(), cost=0.0)


def test_executes_k_actions_then_replans_warm_started_from_the_shifted_plan() -> None:
    planner = Recorder(horizon=4)
    ctrl = RecedingHorizon(planner, MPCConfig(execute_steps=2))
    firsts = [ctrl.act(None, goal())[0][0].item() for _ in range(4)]
    assert firsts == pytest.approx([0.0, 0.1, 0.0, 0.1])  # two actions per plan
    assert len(planner.warm) == 2 and planner.warm[0] is None
    expected = torch.tensor([0.2, 0.3, 0.0, 0.0])[:, None].expand(-1, 3)
    assert torch.allclose(planner.warm[1], expected)


def test_shift_plan_fill_modes() -> None:
    plan = torch.tensor([[1.0], [2.0], [3.0]])
    assert shift_plan(plan, 1).flatten().tolist() == [2.0, 3.0, 0.0]
    assert shift_plan(plan, 2, fill="last").flatten().tolist() == [3.0, 3.0, 3.0]
    assert shift_plan(plan, 5).flatten().tolist() == [0.0, 0.0, 0.0]
