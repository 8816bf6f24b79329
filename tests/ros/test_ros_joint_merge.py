"""arm_adapter merges an arm and a gripper that publish /joint_states as separate messages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG_SRC = ROOT / "ros_ws/src/jepa_wm_ros"

pytestmark = pytest.mark.ros

# The arm's driver at 100 Hz (7 joints), the gripper's at 20 Hz (2 fingers, 0.03 m each), as
# separate JointState messages; prints the gripper opening of the first few /ee_state messages.
DRIVERS = """
import json, time, rclpy
from rclpy.node import Node
from sensor_msgs.msg import JointState
rclpy.init()
n = Node('drivers')
pub = n.create_publisher(JointState, '/joint_states', 50)
got = []
n.create_subscription(JointState, '/ee_state', lambda m: got.append(m.position[6]), 10)
arm = [f'panda_joint{i}' for i in range(1, 8)]
q = [0.0, -0.4, 0.0, -2.4, 0.0, 2.0, 0.785]
end, k = time.monotonic() + 40, 0
while time.monotonic() < end and len(got) < 20:
    now = n.get_clock().now().to_msg()
    pub.publish(JointState(header=JointState().header.__class__(stamp=now), name=arm, position=q))
    if k % 5 == 0:
        fingers = JointState(name=['panda_finger_joint1', 'panda_finger_joint2'], position=[0.03, 0.03])
        fingers.header.stamp = now
        pub.publish(fingers)
    k += 1
    rclpy.spin_once(n, timeout_sec=0.01)
print('OPENINGS ' + json.dumps(got), flush=True)
"""


def test_ros_arm_adapter_merges_split_joint_states(ros_env: dict[str, str]) -> None:
    env = {**ros_env, "PYTHONPATH": os.pathsep.join([str(PKG_SRC), ros_env.get("PYTHONPATH", "")])}
    adapter = subprocess.Popen(
        [sys.executable, "-m", "jepa_wm_ros.arm_adapter_node"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", DRIVERS], env=env, capture_output=True, text=True, timeout=90
        ).stdout
    finally:
        adapter.send_signal(signal.SIGINT)
        log = adapter.communicate(timeout=20)[0]
    line = next((x for x in out.splitlines() if x.startswith("OPENINGS ")), "OPENINGS []")
    openings = json.loads(line.split(" ", 1)[1])
    assert len(openings) >= 20, out + log
    assert all(abs(o - 0.06) < 1e-9 for o in openings), openings  # never 0 from an arm-only message
    assert "no message carries" not in log, log
