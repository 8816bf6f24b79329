"""planner_node follows the ros2/demos lifecycle pattern over real DDS: its publishers and
subscriptions exist only between configure and cleanup, it plans only while active, and its
actions are named after the robot description (hardware/robots/panda.yaml)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hardware.limits import load_robot

ROOT = Path(__file__).resolve().parents[2]
PKG_SRC = ROOT / "ros_ws/src/jepa_wm_ros"

pytestmark = pytest.mark.ros

# A separate process drives the planner through its lifecycle services and watches the graph.
PROBE = """
import json, time, numpy as np, rclpy
from rclpy.node import Node
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState
from sensor_msgs.msg import Image, JointState
from jepa_wm_ros.common import LATCHED_QOS, SENSOR_QOS
from jepa_wm_ros.conversions import rgb_to_msg

rclpy.init()
n = Node("lifecycle_probe")
client = n.create_client(ChangeState, "/planner_node/change_state")
cam = n.create_publisher(Image, "/camera/image_raw", SENSOR_QOS)
state = n.create_publisher(JointState, "/ee_state", 10)
goal = n.create_publisher(Image, "/goal/image", LATCHED_QOS)
actions = []
n.create_subscription(JointState, "/planner/action", actions.append, 10)
out = {}

def counts():
    return [n.count_publishers("/planner/action"), n.count_subscribers("/camera/image_raw")]

def settle(want, seconds):
    # poll the graph: the counts once they equal want, else the last seen after seconds
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        rclpy.spin_once(n, timeout_sec=0.05)
        if counts() == want:
            break
    return counts()

def most(seconds):
    # the most of each count seen while polling the graph for the whole of seconds
    seen, end = [0, 0], time.monotonic() + seconds
    while time.monotonic() < end:
        rclpy.spin_once(n, timeout_sec=0.05)
        seen = [max(a, b) for a, b in zip(seen, counts())]
    return seen

def change(tid):
    fut = client.call_async(ChangeState.Request(transition=Transition(id=tid)))
    rclpy.spin_until_future_complete(n, fut, timeout_sec=60)
    return bool(fut.result() and fut.result().success)

assert client.wait_for_service(timeout_sec=60), "no /planner_node/change_state"
out["unconfigured"] = most(2.0)  # the node is up (its services are): nothing else may be
out["configure"] = change(Transition.TRANSITION_CONFIGURE)
out["configured"] = settle([1, 1], 10.0)
goal.publish(rgb_to_msg(np.full((64, 64, 3), 90, np.uint8), n.get_clock().now().to_msg(), "ep0/g"))
end = time.monotonic() + 3.0
while time.monotonic() < end:  # inactive: frames arrive, nothing is planned or published
    state.publish(JointState(position=[0.5, 0.0, 0.3, 0.0, 0.0, 0.0, 0.04]))
    cam.publish(rgb_to_msg(np.full((64, 64, 3), 60, np.uint8), n.get_clock().now().to_msg(), "c"))
    rclpy.spin_once(n, timeout_sec=0.1)
out["inactive_actions"] = len(actions)
out["activate"] = change(Transition.TRANSITION_ACTIVATE)
end = time.monotonic() + 40.0
while time.monotonic() < end and not actions:
    state.publish(JointState(position=[0.5, 0.0, 0.3, 0.0, 0.0, 0.0, 0.04]))
    cam.publish(rgb_to_msg(np.full((64, 64, 3), 60, np.uint8), n.get_clock().now().to_msg(), "c"))
    rclpy.spin_once(n, timeout_sec=0.1)
out["action_names"] = list(actions[0].name) if actions else None
out["deactivate"] = change(Transition.TRANSITION_DEACTIVATE)
out["cleanup"] = change(Transition.TRANSITION_CLEANUP)
out["cleaned_up"] = settle([0, 0], 10.0)
print("RESULT " + json.dumps(out), flush=True)
"""


def _checkpoint(tmp_path: Path) -> tuple[Path, Path]:
    import torch

    from jepa_wm.models.checkpoint import save_checkpoint
    from jepa_wm.models.config import model_config
    from jepa_wm.models.world_model import JepaWorldModel

    torch.manual_seed(0)
    ckpt = save_checkpoint(JepaWorldModel(model_config("tiny")), tmp_path / "tiny")
    conf = tmp_path / "planner.yaml"
    conf.write_text("planner: {name: cem, options: {samples: 8, iterations: 1, topk: 2}}\n")
    return ckpt, conf


def test_ros_planner_creates_io_in_configure_and_releases_it_in_cleanup(
    tmp_path: Path, ros_env: dict
) -> None:
    ckpt, conf = _checkpoint(tmp_path)
    env = {**ros_env, "PYTHONPATH": os.pathsep.join([str(PKG_SRC), ros_env.get("PYTHONPATH", "")])}
    planner = subprocess.Popen(
        [sys.executable, "-m", "jepa_wm_ros.planner_node", "--ros-args",
         "-p", f"checkpoint:={ckpt}", "-p", f"planner_config:={conf}", "-p", "autostart:=false"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        probe = subprocess.run(
            [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=150
        )
    finally:
        planner.send_signal(signal.SIGINT)
        log = planner.communicate(timeout=20)[0]
    lines = [ln for ln in probe.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, probe.stdout + probe.stderr + log
    out = json.loads(lines[-1][len("RESULT ") :])
    # [publishers of /planner/action, subscribers of /camera/image_raw]: the planner's only
    # (the probe is the other side of each: it subscribes the action, publishes the camera)
    assert out["unconfigured"] == [0, 0], (out, log)  # nothing before configure
    assert out["configure"] and out["configured"] == [1, 1], (out, log)
    assert out["inactive_actions"] == 0, (out, log)  # configured but inactive: no plan
    assert out["activate"], (out, log)
    assert out["action_names"] == list(load_robot("panda").action_names), (out, log)
    assert out["deactivate"] and out["cleanup"], (out, log)
    assert out["cleaned_up"] == [0, 0], (out, log)  # everything configure made is gone
    assert "Traceback" not in log, log
