"""Goal capture through real nodes: goal_capture snapshots the live view and joint state into a
goal set, then task_node plays that set as its goals (/goal/image, /goal/state)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from hardware.goal_set import load_goal_set

ROOT = Path(__file__).resolve().parents[2]
PKG_SRC = ROOT / "ros_ws/src/jepa_wm_ros"

pytestmark = pytest.mark.ros

# The robot: a camera (a gradient image), an arm and a gripper driver publishing /joint_states
# separately, and the arm adapter's /ee_state. Asks for a capture before anything is published
# (refused), then while publishing (accepted); prints both replies.
ROBOT = """
import json, time, numpy as np, rclpy
from rclpy.node import Node
from sensor_msgs.msg import Image, JointState
from std_srvs.srv import Trigger
rclpy.init()
n = Node('robot')
cam = n.create_publisher(Image, '/camera/image_raw', 1)
js = n.create_publisher(JointState, '/joint_states', 10)
ee = n.create_publisher(JointState, '/ee_state', 10)
cli = n.create_client(Trigger, '/goal_capture/capture')
assert cli.wait_for_service(timeout_sec=30)
def call():
    fut = cli.call_async(Trigger.Request())
    rclpy.spin_until_future_complete(n, fut, timeout_sec=10)
    r = fut.result()
    return {'success': r.success, 'message': r.message}
replies = [call()]
img = np.zeros((24, 32, 3), np.uint8); img[..., 0] = np.arange(32) * 8; img[..., 1] = 77
end = time.monotonic() + 3.0
while time.monotonic() < end:
    cam.publish(Image(height=24, width=32, encoding='rgb8', step=96, data=img.tobytes()))
    js.publish(JointState(name=[f'panda_joint{i}' for i in range(1, 8)], position=[0.1 * i for i in range(7)]))
    js.publish(JointState(name=['panda_finger_joint1', 'panda_finger_joint2'], position=[0.02, 0.02]))
    ee.publish(JointState(name=['x', 'y', 'z', 'roll', 'pitch', 'yaw', 'gripper_opening'], position=[0.5, 0.0, 0.3, 0.0, 0.0, 0.1, 0.04]))
    rclpy.spin_once(n, timeout_sec=0.05)
replies.append(call())
print('REPLIES ' + json.dumps(replies), flush=True)
"""

# Listens for the goal task_node publishes (latched) and prints it.
LISTENER = """
import json, time, numpy as np, rclpy
from rclpy.node import Node
from sensor_msgs.msg import Image, JointState
from jepa_wm_ros.common import LATCHED_QOS
rclpy.init()
n = Node('goal_listener')
got = {}
n.create_subscription(Image, '/goal/image', lambda m: got.setdefault('image', m), LATCHED_QOS)
n.create_subscription(JointState, '/goal/state', lambda m: got.setdefault('state', m), LATCHED_QOS)
end = time.monotonic() + 40
while time.monotonic() < end and len(got) < 2:
    rclpy.spin_once(n, timeout_sec=0.1)
im = got['image']
px = np.frombuffer(bytes(im.data), np.uint8).reshape(im.height, im.width, 3)
print('GOAL ' + json.dumps({'id': im.header.frame_id, 'shape': list(px.shape), 'red': px[0, :, 0].tolist(),
      'green': int(px[0, 0, 1]), 'state': list(got['state'].position)}), flush=True)
"""


def _env(ros_env: dict[str, str]) -> dict[str, str]:
    return {
        **ros_env,
        "PYTHONPATH": os.pathsep.join([str(PKG_SRC), str(ROOT), ros_env.get("PYTHONPATH", "")]),
    }


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[0]


def test_ros_goal_capture_then_task_node_plays_the_set(tmp_path: Path, ros_env) -> None:
    env, goals = _env(ros_env), tmp_path / "goals"
    capture = subprocess.Popen(
        [sys.executable, "-m", "jepa_wm_ros.goal_capture_node", "--ros-args", "-p", f"out:={goals}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        out = subprocess.run(
            [sys.executable, "-c", ROBOT], env=env, capture_output=True, text=True, timeout=90
        )
    finally:
        log = _stop(capture)
    line = next((x for x in out.stdout.splitlines() if x.startswith("REPLIES ")), None)
    assert line, out.stdout + out.stderr + log
    refused, accepted = json.loads(line.split(" ", 1)[1])
    assert not refused["success"] and "no recent view rgb" in refused["message"]
    assert accepted == {"success": True, "message": "goal_000"}, log
    (goal,) = load_goal_set(goals)
    assert goal.images["rgb"].shape == (24, 32, 3) and int(goal.images["rgb"][0, 31, 0]) == 248
    joints = dict(zip(goal.joint_names, goal.joint_positions, strict=True))
    assert joints["panda_finger_joint2"] == 0.02 and joints["panda_joint7"] == pytest.approx(0.6)
    np.testing.assert_allclose(goal.state, [0.5, 0.0, 0.3, 0.0, 0.0, 0.1, 0.04])
    assert yaml.safe_load((goals / "goal_set.yaml").read_text())["goals"][0]["images"] == {
        "rgb": "goal_000_rgb.png"
    }

    task = subprocess.Popen(
        [sys.executable, "-m", "jepa_wm_ros.task_node", "--ros-args", "-p", "mode:=files",
         "-p", f"goal_set:={goals}", "-p", "image_size:=32", "-p", "subgoal_timeout_s:=60.0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        heard = subprocess.run(
            [sys.executable, "-c", LISTENER], env=env, capture_output=True, text=True, timeout=90
        )
    finally:
        task_log = _stop(task)
    line = next((x for x in heard.stdout.splitlines() if x.startswith("GOAL ")), None)
    assert line, heard.stdout + heard.stderr + task_log
    played = json.loads(line.split(" ", 1)[1])
    assert played["id"] == "ep0/subgoal0" and played["shape"] == [32, 32, 3]
    assert played["green"] == 77 and played["red"][0] < played["red"][-1]  # the captured view
    np.testing.assert_allclose(played["state"], [0.5, 0.0, 0.3, 0.0, 0.0, 0.1, 0.04])
