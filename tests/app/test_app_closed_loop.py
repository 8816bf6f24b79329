"""The closed loop (WorldModelPolicy: observe, encode, plan, act) on a point-mass world model:
reaching, subgoal switching and warm starts. These were planners.mpc.run_mpc's tests; the
policy is the one loop `jepa-wm eval`, the bench and the ROS planner node run."""

from __future__ import annotations

import numpy as np

from hardware.interfaces import Observation
from jepa_wm.app.policy import WorldModelPolicy
from planners.costs import CostConfig
from planners.subgoals import SubgoalSequencer
from tests.app.mocks import HIGH, LOW, PointMassModel, PointWorld, point_obs

L2 = CostConfig(kind="l2", mode="last")
CEM = {"samples": 64, "topk": 8, "seed": 0}


def _policy(overrides: dict = CEM, horizon: int = 2, warm_start: bool = True) -> WorldModelPolicy:
    return WorldModelPolicy(
        PointMassModel(), "cem", overrides, "cpu", LOW, HIGH,
        horizon=horizon, warm_start=warm_start, cost=L2,
    )  # fmt: skip


def _run(
    pol: WorldModelPolicy, world: PointWorld, steps: int, goal: Observation | None = None
) -> dict[str, list]:
    trace: dict[str, list] = {"energies": [], "subgoals": []}
    for _ in range(steps):
        world.execute(pol(world.observe(), goal))
        trace["energies"].append(pol.last_info["energy"])
        trace["subgoals"].append(pol.last_info["subgoal"])
    return trace


def test_closed_loop_reaches_a_goal_out_of_one_step_reach() -> None:
    world = PointWorld()
    target = np.array([0.9, -0.7, 0.5])  # needs >= 3 steps at 0.4 per step
    trace = _run(_policy(), world, 8, point_obs(target))
    assert np.linalg.norm(world.pos - target) < 0.1
    assert trace["energies"][-1] < 0.02 * trace["energies"][0]


def test_subgoals_switch_on_energy_then_hold_the_last() -> None:
    world = PointWorld()
    g1, g2 = np.array([0.6, 0.0, 0.0]), np.array([0.6, 0.6, 0.0])
    pol = _policy()
    pol.set_subgoals([point_obs(g1), point_obs(g2)], switch_energy=1e-3)
    assert isinstance(pol.schedule, SubgoalSequencer)  # the sequencer task_node uses too
    trace = _run(pol, world, 10)
    first_switch = trace["subgoals"].index(1)
    assert 2 <= first_switch <= 6
    assert trace["subgoals"][-1] == 1 and sorted(set(trace["subgoals"])) == [0, 1]
    assert np.linalg.norm(world.pos - g2) < 0.05


def test_warm_start_across_mpc_steps_improves_a_tiny_budget() -> None:
    def final_error(warm: bool) -> float:
        world = PointWorld()
        target = np.array([0.9, -0.9, 0.9])
        tiny = {"samples": 6, "topk": 2, "iterations": 1, "seed": 1}
        _run(_policy(tiny, horizon=3, warm_start=warm), world, 4, point_obs(target))
        return float(np.linalg.norm(world.pos - target))

    assert final_error(True) < final_error(False)
