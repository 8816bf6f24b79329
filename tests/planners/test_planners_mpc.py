"""The receding-horizon loop and subgoal switching, with a point-mass mock model."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from planners.base import shift_plan
from planners.costs import CostConfig, make_cost
from planners.interfaces import Goal, Planner, PlanResult, Prediction
from planners.mpc import MPCConfig, RecedingHorizon, SubgoalSchedule, run_mpc
from planners.registry import make_planner
from tests.planners.mocks import HIGH, LOW, PointMass, goal

COST = make_cost(CostConfig(kind="l2", mode="last"))


class World:
    """A point mass the loop observes, encodes and moves."""

    def __init__(self) -> None:
        self.pos = torch.zeros(3)

    def observe(self) -> torch.Tensor:
        return self.pos.clone()

    def encode(self, obs: torch.Tensor) -> tuple[torch.Tensor, Prediction]:
        return obs, Prediction(latents=obs[None, None, None, :], states=obs[None, None])

    def execute(self, action: torch.Tensor) -> None:
        self.pos = self.pos + action.clamp(LOW, HIGH)


def _cem(horizon: int = 2) -> Planner:
    return make_planner("cem", PointMass(), COST, LOW, HIGH, horizon, samples=64, topk=8, seed=0)


def test_closed_loop_reaches_a_goal_out_of_one_step_reach() -> None:
    world = World()
    target = torch.tensor([0.9, -0.7, 0.5])  # needs >= 3 steps at 0.4 per step
    trace = run_mpc(
        RecedingHorizon(_cem()),
        world.observe,
        world.encode,
        world.execute,
        SubgoalSchedule([goal(target)]),
        max_steps=8,
    )
    assert len(trace.actions) == 8
    assert float((world.pos - target).norm()) < 0.1
    assert trace.energies[-1] < 0.02 * trace.energies[0]


def test_subgoals_switch_on_energy_then_hold_the_last() -> None:
    world = World()
    g1, g2 = torch.tensor([0.6, 0.0, 0.0]), torch.tensor([0.6, 0.6, 0.0])
    schedule = SubgoalSchedule([goal(g1), goal(g2)], switch_energy=1e-3)
    trace = run_mpc(
        RecedingHorizon(_cem()), world.observe, world.encode, world.execute, schedule, 10
    )
    first_switch = trace.subgoals.index(1)
    assert 2 <= first_switch <= 6
    assert trace.subgoals[-1] == 1 and sorted(set(trace.subgoals)) == [0, 1]
    assert float((world.pos - g2).norm()) < 0.05


def test_subgoals_switch_on_step_budget() -> None:
    schedule = SubgoalSchedule([goal(), goal(), goal()], steps_per_subgoal=3)
    seen = []
    for _ in range(8):
        schedule.update(energy=1.0)
        seen.append(schedule.index)
    assert seen == [0, 0, 1, 1, 1, 2, 2, 2]
    schedule.reset()
    assert schedule.index == 0
    with pytest.raises(ValueError):
        SubgoalSchedule([])


def test_done_stops_the_loop() -> None:
    world = World()
    trace = run_mpc(
        RecedingHorizon(_cem()),
        world.observe,
        world.encode,
        world.execute,
        SubgoalSchedule([goal()]),
        max_steps=20,
        done=lambda obs: float((obs - goal().state).norm()) < 0.05,
    )
    assert trace.stopped_early and len(trace.actions) < 20


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


def test_warm_start_across_mpc_steps_improves_a_tiny_budget() -> None:
    def final_error(warm: bool) -> float:
        world = World()
        planner = make_planner(
            "cem", PointMass(), COST, LOW, HIGH, 3, samples=6, topk=2, iterations=1, seed=1
        )
        target = torch.tensor([0.9, -0.9, 0.9])
        run_mpc(
            RecedingHorizon(planner, MPCConfig(warm_start=warm)),
            world.observe,
            world.encode,
            world.execute,
            SubgoalSchedule([goal(target)]),
            max_steps=4,
        )
        return float((world.pos - target).norm())

    assert final_error(True) < final_error(False)
