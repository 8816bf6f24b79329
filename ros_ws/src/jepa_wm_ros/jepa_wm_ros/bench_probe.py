"""bench_probe: the two ends of `jepa-wm bench ros` (a tool node, not part of the pipeline).

``--role source``: waits for ``--subscribers`` camera subscribers, then publishes /camera/image_raw (rgb8, stamped now) and /joint_states at
``--rate`` Hz and a latched /goal/image, for ``--duration`` s; prints {"published": N}.
``--role measure``: subscribes /camera/image_raw (sensor-data QoS), /planner/action,
/arm_controller/joint_trajectory and /diagnostics for ``--duration`` s and prints JSON with the
latencies from the camera stamp: image arrival (the raw rclpy floor), planner action (stamped
with its camera frame), and the adapter's trajectory (the first trajectory after each action);
per planned frame its action and trajectory latencies and the planner's stage ms (from the
diagnostics), and the planner's dropped-frame counters.

A trajectory carries no camera stamp (its header stamp is the controller's start time, 0 = now),
so it is paired with the newest action received before it; an action that a newer one
overtakes before any trajectory arrives gets none (counted in ``actions_without_trajectory``).
Pairing first-in first-out instead shifts every later pair by one plan as soon as one action
has no trajectory of its own (a trajectory that overtakes its action, or one published before
the probe had matched the adapter), which adds a whole plan period to each latency.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from sensor_msgs.msg import Image, JointState
from trajectory_msgs.msg import JointTrajectory

from jepa_wm_ros.common import LATCHED_QOS, SENSOR_QOS, ensure_loopback_dds
from jepa_wm_ros.conversions import rgb_to_msg, stamp_sec

REST = [0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785]
NAMES = [f"panda_joint{i}" for i in range(1, 8)] + ["panda_finger_joint1", "panda_finger_joint2"]


def _now(node: Node) -> float:
    return node.get_clock().now().nanoseconds * 1e-9


def source(
    node: Node, rate: float, duration: float, size: tuple[int, int], subscribers: int
) -> dict:
    """Publish (height, width) = ``size`` rgb8 frames at ``rate`` Hz; {"published": N}."""
    img_pub = node.create_publisher(Image, "/camera/image_raw", 1)
    js_pub = node.create_publisher(JointState, "/joint_states", 10)
    goal_pub = node.create_publisher(Image, "/goal/image", LATCHED_QOS)
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (8, *size, 3), dtype=np.uint8)
    goal = rgb_to_msg(frames[0], node.get_clock().now().to_msg(), "ep0/subgoal0")
    goal_pub.publish(goal)
    wait_end = time.monotonic() + 20.0  # frames sent before discovery completes are not drops
    while img_pub.get_subscription_count() < subscribers and time.monotonic() < wait_end:
        rclpy.spin_once(node, timeout_sec=0.05)
    count, period = 0, 1.0 / rate
    end = time.monotonic() + duration
    nxt = time.monotonic()
    while time.monotonic() < end:
        stamp = node.get_clock().now().to_msg()
        img_pub.publish(rgb_to_msg(frames[count % len(frames)], stamp, "camera"))
        js = JointState(name=NAMES, position=[*REST, 0.04, 0.04])
        js.header.stamp = stamp
        js_pub.publish(js)
        count += 1
        nxt += period
        rclpy.spin_once(node, timeout_sec=max(0.0, nxt - time.monotonic()))
    return {"published": count}


# per planned frame, from the planner's diagnostics (planner_node.publish_diagnostics)
PLANNER_STAGES = ("receive_ms", "wait_ms", "step_ms", "publish_ms")


class TrajectoryPairing:
    """Which camera frame a trajectory answers: the newest action received before it.

    ``action(stamp)`` for each action, ``trajectory()`` for each trajectory returns that
    action's camera stamp, or None when no action waits (a hold, or the action's trajectory
    already came). ``unpaired`` counts actions a newer one overtook before any trajectory.
    """

    def __init__(self) -> None:
        self.pending: float | None = None
        self.unpaired = 0

    def action(self, stamp: float) -> None:
        self.unpaired += self.pending is not None
        self.pending = stamp

    def trajectory(self) -> float | None:
        stamp, self.pending = self.pending, None
        return stamp


def measure(node: Node, duration: float) -> dict:
    lat: dict[str, list[float]] = {"image": [], "action": [], "trajectory": []}
    frames: set[float] = set()
    by_frame: dict[str, dict[str, float]] = {}  # camera stamp -> latencies s, planner stage ms
    pairing = TrajectoryPairing()

    def on_image(msg: Image) -> None:
        lat["image"].append(_now(node) - stamp_sec(msg.header.stamp))

    def on_action(msg: JointState) -> None:
        s = stamp_sec(msg.header.stamp)
        lat["action"].append(_now(node) - s)
        frames.add(s)
        pairing.action(s)
        by_frame.setdefault(f"{s:.6f}", {})["action_s"] = lat["action"][-1]

    dropped: dict[str, int] = {}

    def on_traj(_msg: JointTrajectory) -> None:
        s = pairing.trajectory()
        if s is not None:
            lat["trajectory"].append(_now(node) - s)
            by_frame.setdefault(f"{s:.6f}", {})["trajectory_s"] = lat["trajectory"][-1]

    def on_diag(msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.name != "planner_node":
                continue
            kv = {v.key: v.value for v in status.values}
            if "camera_stamp" in kv and "step_ms" in kv:
                frame = by_frame.setdefault(kv["camera_stamp"], {})
                for key in PLANNER_STAGES:
                    frame[key] = float(kv.get(key, "nan"))
            for key in ("dropped_while_planning", "dropped_past_deadline"):
                if key in kv:
                    dropped[key] = int(kv[key])

    node.create_subscription(Image, "/camera/image_raw", on_image, SENSOR_QOS)
    node.create_subscription(JointState, "/planner/action", on_action, 10)
    node.create_subscription(JointTrajectory, "/arm_controller/joint_trajectory", on_traj, 10)
    node.create_subscription(DiagnosticArray, "/diagnostics", on_diag, 10)
    end = time.monotonic() + duration
    while time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.05)
    return {
        "latency_s": lat,
        "frames_planned_on": len(frames),
        "by_frame": by_frame,
        "planner_dropped": dropped,
        "actions_without_trajectory": pairing.unpaired,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--role", choices=("source", "measure"), required=True)
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--size", type=int, default=64, help="square frames of this many pixels")
    ap.add_argument("--frame", default="", help="WIDTHxHEIGHT, e.g. 640x480 (overrides --size)")
    ap.add_argument("--subscribers", type=int, default=1, help="camera subscribers to wait for")
    args, ros_args = ap.parse_known_args(argv)
    ensure_loopback_dds()
    rclpy.init(args=ros_args)
    node = Node(f"bench_{args.role}")
    try:
        if args.role == "source":
            w, h = (
                (int(v) for v in args.frame.lower().split("x")) if args.frame else [args.size] * 2
            )
            out = source(node, args.rate, args.duration, (h, w), args.subscribers)
        else:
            out = measure(node, args.duration)
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    print("BENCH " + json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
