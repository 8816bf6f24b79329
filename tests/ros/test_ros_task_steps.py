"""task_node's plan budgets: a subgoal ends after ``steps_per_subgoal`` plans toward it and the
episode after ``max_steps`` plans, whatever the wall clock says (eval's schedule, in ROS)."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "ros_ws/src/jepa_wm_ros"))

pytestmark = pytest.mark.ros


def _subgoal_files(tmp_path: Path) -> list[str]:
    """Three distinct 8x8 subgoal images for files mode."""
    files = []
    for i in range(3):
        files.append(str(tmp_path / f"g{i}.png"))
        cv2.imwrite(files[-1], np.full((8, 8, 3), 40 * i, np.uint8))
    return files


def _plan_toward(node, goal_id: str) -> None:  # node: a TaskNode
    from builtin_interfaces.msg import Time
    from jepa_wm_ros.conversions import plan_msg

    node.on_plan(plan_msg(goal_id, 1.0, Time()))  # what planner_node publishes per plan


def test_ros_task_node_switches_on_plan_budgets(tmp_path: Path, ros_env: dict) -> None:
    import rclpy
    from jepa_wm_ros.task_node import TaskNode

    files = _subgoal_files(tmp_path)
    args = ["--ros-args", "-p", "mode:=files", "-p", f"subgoal_files:={files}",
            "-p", "steps_per_subgoal:=2", "-p", "max_steps:=7", "-p", "episodes:=2",
            "-p", "subgoal_timeout_s:=1000.0"]  # fmt: skip
    rclpy.init(args=args)
    try:
        node = TaskNode()
        node.start()
        node.started()
        seen = []
        for _ in range(7):
            _plan_toward(node, node.goal_id())
            node.run()
            seen.append(node.index)
        assert seen == [0, 1, 1, 2, 2, 2, 2]  # 2 plans per subgoal, the last until the budget
        assert node.results == [
            {"episode": 0, "seed": None, "success": None, "subgoals_reached": 3}
        ]
        node.destroy_node()
    finally:
        rclpy.shutdown()


def _eval_decisions() -> tuple[list[float], list[int]]:
    """`jepa-wm eval`'s loop (WorldModelPolicy) on a point-mass model, 3 subgoals: the energies
    its sequencer was given and the subgoal after each step. The first switch is by energy, the
    second by the step budget."""
    from jepa_wm.app.policy import WorldModelPolicy
    from planners.costs import CostConfig
    from tests.app.mocks import HIGH, LOW, PointMassModel, PointWorld, point_obs

    pol = WorldModelPolicy(PointMassModel(), "cem", {"samples": 64, "topk": 8, "seed": 0}, "cpu",
                           LOW, HIGH, horizon=2, cost=CostConfig(kind="l2"))  # fmt: skip
    goals = [(-0.3, 0.0, 0.0), (1.2, -1.2, 1.2), (0.0, 0.0, 0.0)]
    pol.set_subgoals([point_obs(np.array(g)) for g in goals], switch_energy=0.005,
                     steps_per_subgoal=4)  # fmt: skip
    fed: list[float] = []
    step = pol.schedule.step
    pol.schedule.step = lambda energy: fed.append(energy) or step(energy)
    world, seen = PointWorld(), []
    for _ in range(12):
        world.execute(pol(world.observe()))
        seen.append(pol.last_info["subgoal"])
    return fed, seen


def test_ros_task_node_decides_as_eval_does(tmp_path: Path, ros_env: dict) -> None:
    import rclpy
    from builtin_interfaces.msg import Time
    from jepa_wm_ros.conversions import plan_msg
    from jepa_wm_ros.task_node import TaskNode

    from planners.subgoals import SubgoalSequencer

    energies, eval_seen = _eval_decisions()
    assert sorted(set(eval_seen)) == [0, 1, 2]
    assert energies[eval_seen.index(1)] <= 0.005 < energies[eval_seen.index(2)]  # both rules
    files = _subgoal_files(tmp_path)
    args = ["--ros-args", "-p", "mode:=files", "-p", f"subgoal_files:={files}",
            "-p", "energy_threshold:=0.005", "-p", "steps_per_subgoal:=4",
            "-p", "subgoal_timeout_s:=1000.0"]  # fmt: skip
    rclpy.init(args=args)
    try:
        node = TaskNode()
        node.start()
        node.started()
        assert isinstance(node.seq, SubgoalSequencer)
        ros_seen = []
        for energy in energies:  # the planner node's report of each plan, in order
            node.on_plan(plan_msg(node.goal_id(), energy, Time()))
            node.run()
            ros_seen.append(node.index)
        node.on_plan(plan_msg("ep0/subgoal0", 0.0, Time()))  # a late plan toward an old goal
        assert node.index == 2 and node.seq.episode_steps == len(energies)
        node.destroy_node()
    finally:
        rclpy.shutdown()
    assert ros_seen == eval_seen


def test_ros_plan_report_round_trips_and_refuses_another_layout() -> None:
    from builtin_interfaces.msg import Time
    from jepa_wm_ros.conversions import plan_msg, read_plan
    from sensor_msgs.msg import JointState

    msg = plan_msg("ep3/subgoal1", 0.125, Time(sec=7))
    assert read_plan(msg) == ("ep3/subgoal1", 0.125) and msg.header.stamp.sec == 7
    with pytest.raises(ValueError, match="named \\('energy',\\)"):
        read_plan(JointState(name=["dx"], position=[0.1]))
