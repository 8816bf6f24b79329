"""Probe process for the nav pipeline test: watches its topics, reports JSON lines on stdout.

{"event": "ready", ...} once the camera, /odom, /planner/action and /cmd_vel have data and the
base has moved; then stdin commands: "kill <monotonic time>" (the test just killed the planner)
-> {"event": "held", "delay": s, "zero_after": bool}: when the first all-zero /cmd_vel arrived
after the kill, and whether every later one in the next second was zero too.
"""

from __future__ import annotations

import json
import select
import sys
import time

import numpy as np
import rclpy
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image, JointState

TOPICS = {
    "/camera/image_raw": (Image, qos_profile_sensor_data),
    "/camera/camera_info": (CameraInfo, 10),
    "/odom": (Odometry, 10),
    "/ee_state": (JointState, 10),
    "/planner/action": (JointState, 10),
    "/cmd_vel": (Twist, 10),
}


def emit(**kw) -> None:
    print(json.dumps(kw), flush=True)


class NavProbe(Node):
    def __init__(self) -> None:
        super().__init__("ros_nav_probe")
        self.seen: dict[str, int] = dict.fromkeys(TOPICS, 0)
        self.first_pose: np.ndarray | None = None
        self.moved = 0.0
        self.max_cmd = [0.0, 0.0]  # max |v|, max |omega|
        self.twists: list[tuple[float, float, float]] = []  # (receive time, v, omega)
        for topic, (typ, qos) in TOPICS.items():
            self.create_subscription(typ, topic, lambda m, t=topic: self.on_msg(t, m), qos)

    def on_msg(self, topic: str, msg) -> None:
        self.seen[topic] += 1
        if topic == "/odom":
            p = msg.pose.pose
            pose = np.array(
                [p.position.x, p.position.y, 2 * np.arctan2(p.orientation.z, p.orientation.w)]
            )
            self.first_pose = pose if self.first_pose is None else self.first_pose
            self.moved = max(self.moved, float(np.abs(pose - self.first_pose).max()))
        elif topic == "/cmd_vel":
            self.twists.append((time.monotonic(), msg.linear.x, msg.angular.z))
            self.max_cmd = [
                max(self.max_cmd[0], abs(msg.linear.x)),
                max(self.max_cmd[1], abs(msg.angular.z)),
            ]

    def spin_for(self, seconds: float, until=lambda: False) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            rclpy.spin_once(self, timeout_sec=0.05)
            if until():
                return True
        return False


def main() -> None:
    rclpy.init()
    probe = NavProbe()
    ok = probe.spin_for(120, lambda: all(probe.seen.values()) and probe.moved > 1e-3)
    emit(event="ready" if ok else "timeout", seen=probe.seen, moved=probe.moved,
         max_cmd=probe.max_cmd)  # fmt: skip
    while True:
        probe.spin_for(0.05)  # keep spinning while we wait: receive times stay true
        ready, _, _ = select.select([sys.stdin], [], [], 0.0)
        if not ready:
            continue
        cmd = sys.stdin.readline().split()
        if not cmd or cmd[0] == "quit":
            break
        if cmd[0] == "kill":
            killed = float(cmd[1])
            probe.spin_for(2.5)
            after = [(t, v, w) for t, v, w in probe.twists if t > killed]
            zeros = [t for t, v, w in after if v == 0.0 and w == 0.0]
            first = zeros[0] if zeros else None
            later = [(v, w) for t, v, w in after if first is not None and t >= first]
            emit(
                event="held",
                delay=None if first is None else first - killed,
                zero_after=bool(later) and all(v == 0.0 and w == 0.0 for v, w in later),
            )
    probe.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
