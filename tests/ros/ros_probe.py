"""Probe process for the ROS tests: watches the grasp pipeline's topics, reports JSON lines.

Protocol (stdout, one JSON object per line): {"event": "ready", ...} once every topic has data
and the arm has moved; then it reads commands on stdin: "kill <monotonic time>" (the test just
killed the planner) -> {"event": "held", "delay": s}; "nan" / "big" -> publishes such an action
and reports the trajectory and the gripper command the adapter sent for it.
"""

from __future__ import annotations

import json
import math
import select
import sys
import time

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import QoSDurabilityPolicy, QoSProfile, QoSReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image, JointState
from std_msgs.msg import Bool, Float64, Int32
from trajectory_msgs.msg import JointTrajectory

TOPICS = {
    "/camera/image_raw": (Image, qos_profile_sensor_data),
    "/camera/camera_info": (CameraInfo, 10),
    "/joint_states": (JointState, 10),
    "/ee_state": (JointState, 10),
    "/planner/action": (JointState, 10),
    "/planner/energy": (JointState, 10),  # the plan reports task_node's sequencer counts
    "/arm_controller/joint_trajectory": (JointTrajectory, 10),
    "/gripper_controller/command": (Float64, 10),
    "/goal/image": (
        Image,
        QoSProfile(
            depth=1,
            reliability=QoSReliabilityPolicy.RELIABLE,
            durability=QoSDurabilityPolicy.TRANSIENT_LOCAL,
        ),
    ),
    "/diagnostics": (DiagnosticArray, 10),
    "/task/episode": (
        Int32,
        QoSProfile(
            depth=1,
            reliability=QoSReliabilityPolicy.RELIABLE,
            durability=QoSDurabilityPolicy.TRANSIENT_LOCAL,
        ),
    ),
    "/arm_adapter/holding": (Bool, 10),
}
GRIP = "/gripper_controller/command"


def emit(**kw) -> None:
    print(json.dumps(kw), flush=True)


class Probe(Node):
    def __init__(self) -> None:
        super().__init__("ros_probe")
        self.seen: dict[str, int] = dict.fromkeys(TOPICS, 0)
        self.last: dict[str, object] = {}
        self.first_q = None
        self.moved = 0.0
        self.energies: list[float] = []
        self.held_at: float | None = None
        self.trajs: list[tuple[float, list[float]]] = []
        for topic, (typ, qos) in TOPICS.items():
            self.create_subscription(typ, topic, lambda m, t=topic: self.on_msg(t, m), qos)
        self.action_pub = self.create_publisher(JointState, "/planner/action", 10)

    def on_msg(self, topic: str, msg) -> None:
        self.seen[topic] += 1
        self.last[topic] = msg
        now = time.monotonic()
        if topic == "/joint_states":
            q = np.array(msg.position[:7])
            self.first_q = q if self.first_q is None else self.first_q
            self.moved = max(self.moved, float(np.abs(q - self.first_q).max()))
        elif topic == "/arm_adapter/holding" and msg.data and self.held_at is None:
            self.held_at = now
        elif topic == "/arm_controller/joint_trajectory":
            self.trajs.append((now, list(msg.points[-1].positions)))
        elif topic == "/diagnostics":
            for st in msg.status:
                kv = {v.key: v.value for v in st.values}
                if "energy" in kv and kv.get("goal") == "ep0/subgoal0":
                    self.energies.append(float(kv["energy"]))

    def settle(self, tol: float = 2e-4, timeout: float = 5.0) -> None:
        """Spin until two successive /joint_states differ by less than ``tol`` rad."""
        end = time.monotonic() + timeout
        prev = np.array(self.last["/joint_states"].position[:7])
        while time.monotonic() < end:
            n = self.seen["/joint_states"]
            self.spin_for(1.0, lambda n=n: self.seen["/joint_states"] > n)
            q = np.array(self.last["/joint_states"].position[:7])
            if np.abs(q - prev).max() < tol:
                return
            prev = q

    def spin_for(self, seconds: float, until=lambda: False) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            rclpy.spin_once(self, timeout_sec=0.05)
            if until():
                return True
        return False


def main() -> None:
    rclpy.init()
    probe = Probe()
    ok = probe.spin_for(120, lambda: all(probe.seen.values()) and probe.moved > 1e-3)
    emit(
        event="ready" if ok else "timeout",
        seen=probe.seen,
        moved=probe.moved,
        energies=probe.energies[:50],
    )
    while True:
        r, _, _ = select.select([sys.stdin], [], [], 0.05)
        rclpy.spin_once(probe, timeout_sec=0.0)
        if not r:
            continue
        cmd = sys.stdin.readline().split()
        if not cmd or cmd[0] == "quit":
            break
        if cmd[0] == "energy":  # collect energies to the first subgoal for N seconds
            probe.spin_for(float(cmd[1]))
            emit(event="energy", energies=probe.energies)
        elif cmd[0] == "kill":
            killed = float(cmd[1])
            probe.held_at = None
            probe.spin_for(3.0, lambda k=killed: probe.held_at is not None and probe.held_at > k)
            delay = None if probe.held_at is None else probe.held_at - killed
            emit(event="held", delay=delay)
        elif cmd[0] in ("nan", "big"):
            probe.settle()  # after the hold the arm may still be coasting to its last target
            q_now = list(probe.last["/joint_states"].position[:7])
            values = [math.nan] * 7 if cmd[0] == "nan" else [1.0, -1.0, 1.0, 2.0, 2.0, 2.0, 1.0]
            n, m = len(probe.trajs), probe.seen[GRIP]
            msg = JointState(
                name=["dx", "dy", "dz", "droll", "dpitch", "dyaw", "dgripper"], position=values
            )
            probe.action_pub.publish(msg)
            # both replies to this action: the trajectory and the gripper command sent after it
            probe.spin_for(2.0, lambda n=n, m=m: len(probe.trajs) > n and probe.seen[GRIP] > m)
            emit(
                event=cmd[0],
                q_before=q_now,
                traj=probe.trajs[n][1] if len(probe.trajs) > n else None,
                gripper=probe.last[GRIP].data if probe.seen[GRIP] > m else None,
            )
    probe.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
