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


def _plan_toward(node, goal_id: str) -> None:  # node: a TaskNode
    from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

    values = [KeyValue(key="goal", value=goal_id), KeyValue(key="energy", value="1.0")]
    node.on_diag(DiagnosticArray(status=[DiagnosticStatus(name="planner_node", values=values)]))


def test_ros_task_node_switches_on_plan_budgets(tmp_path: Path, ros_env: dict) -> None:
    import rclpy
    from jepa_wm_ros.task_node import TaskNode

    files = []
    for i in range(3):
        files.append(str(tmp_path / f"g{i}.png"))
        cv2.imwrite(files[-1], np.full((8, 8, 3), 40 * i, np.uint8))
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
