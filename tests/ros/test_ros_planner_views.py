"""A two-camera planner node over real DDS: it pairs the wrist view with the main camera by
stamp, plans on both, and plans nothing while a view is missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG_SRC = ROOT / "ros_ws/src/jepa_wm_ros"

pytestmark = pytest.mark.ros

FEEDER = """
import sys, time, numpy as np, rclpy
from rclpy.node import Node
from sensor_msgs.msg import Image, JointState
from jepa_wm_ros.common import LATCHED_QOS, SENSOR_QOS
from jepa_wm_ros.conversions import rgb_to_msg
wrist = sys.argv[1] == "wrist"
rclpy.init()
n = Node("views_feeder")
cam = n.create_publisher(Image, "/camera/image_raw", SENSOR_QOS)
wcam = n.create_publisher(Image, "/wrist_camera/image_raw", SENSOR_QOS)
state = n.create_publisher(JointState, "/ee_state", 10)
goal = n.create_publisher(Image, "/goal/image", LATCHED_QOS)
wgoal = n.create_publisher(Image, "/goal/wrist_image", LATCHED_QOS)
actions = []
n.create_subscription(JointState, "/planner/action", lambda m: actions.append(m), 10)
img = lambda v: np.full((64, 64, 3), v, np.uint8)
now = n.get_clock().now().to_msg()
wgoal.publish(rgb_to_msg(img(200), now, "ep0/subgoal0"))
goal.publish(rgb_to_msg(img(100), now, "ep0/subgoal0"))
end = time.monotonic() + 25
while time.monotonic() < end and len(actions) < 3:
    stamp = n.get_clock().now().to_msg()
    state.publish(JointState(position=[0.5, 0.0, 0.3, 0.0, 0.0, 0.0, 0.04]))
    if wrist:
        wcam.publish(rgb_to_msg(img(50), stamp, "wrist_camera"))
    cam.publish(rgb_to_msg(img(60), stamp, "camera"))
    rclpy.spin_once(n, timeout_sec=0.1)
print("ACTIONS", len(actions), flush=True)
"""


def _checkpoint(tmp_path: Path) -> tuple[Path, Path]:
    import torch

    from jepa_wm.models.checkpoint import save_checkpoint
    from jepa_wm.models.config import model_config
    from jepa_wm.models.world_model import JepaWorldModel

    torch.manual_seed(0)
    model = JepaWorldModel(model_config("tiny", {"views": ["rgb", "rgb_wrist"]}))
    ckpt = save_checkpoint(model, tmp_path / "two_views")
    conf = tmp_path / "planner.yaml"
    conf.write_text("planner: {name: cem, options: {samples: 8, iterations: 1, topk: 2}}\n")
    return ckpt, conf


@pytest.mark.parametrize("views", ["wrist", "main-only"])
def test_ros_planner_pairs_views_by_stamp(views: str, tmp_path: Path, ros_env: dict) -> None:
    ckpt, conf = _checkpoint(tmp_path)
    env = {**ros_env, "PYTHONPATH": os.pathsep.join([str(PKG_SRC), ros_env.get("PYTHONPATH", "")])}
    planner = subprocess.Popen(
        [sys.executable, "-m", "jepa_wm_ros.planner_node", "--ros-args",
         "-p", f"checkpoint:={ckpt}", "-p", f"planner_config:={conf}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        out = subprocess.run(
            [sys.executable, "-c", FEEDER, views], env=env, capture_output=True, text=True,
            timeout=90,
        ).stdout  # fmt: skip
    finally:
        planner.send_signal(signal.SIGINT)
        log = planner.communicate(timeout=20)[0]
    if views == "wrist":
        assert "ACTIONS 3" in out, out + log
    else:
        assert "ACTIONS 0" in out, out + log
        assert "no camera views paired with it (wrist)" in log, log
