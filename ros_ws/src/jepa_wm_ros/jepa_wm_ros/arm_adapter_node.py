"""arm_adapter: planner ee-delta actions -> IK -> clipped JointTrajectory + gripper command.

Subscribes /joint_states (the arm's and the gripper's joints, in one message or in separate
ones from separate drivers: merged by hardware.joint_merge), /planner/action (JointState named dx..dgripper, stamped with the
camera frame it came from). Publishes /arm_controller/joint_trajectory, /gripper_controller/command
(Float64 opening, m), /ee_state (JointState named after the description's state_names, x, y, z,
roll, pitch, yaw, gripper_opening for the Panda: the world model's 7-D state by forward
kinematics, so a real arm needs no extra sensor) and
/arm_adapter/holding (Bool). A watchdog holds the arm at its joints when actions or joint
states are older than ``stale_s``. NaN actions hold; oversized ones are clipped (hardware.adapters).
Names, bounds and joints come from the robot description (``robot``, hardware/robots/<robot>.yaml).
"""

from __future__ import annotations

import time

import numpy as np
from builtin_interfaces.msg import Duration
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import Bool, Float64
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from hardware.adapters import ArmAdapter, Watchdog
from hardware.joint_merge import JointStateMerger
from hardware.limits import LimitsError, load_robot
from jepa_wm_ros.common import param, run_node
from jepa_wm_ros.conversions import stamp_sec, vector_msg


class ArmAdapterNode(Node):
    def __init__(self) -> None:
        super().__init__("arm_adapter")
        self.adapter = ArmAdapter(load_robot(param(self, "robot", "panda")))
        self.desc = self.adapter.desc
        if not self.desc.state_names:
            raise LimitsError(f"{self.desc.name}: the description has no state_names")
        self.watchdog = Watchdog(
            ("action", "joint_states"),
            float(param(self, "stale_s", 0.5)),
            log=lambda m: self.get_logger().warn(m),
        )
        g = self.desc.gripper
        self.n_arm = len(self.desc.joint_names)
        self.merger = JointStateMerger(
            self.desc.joint_names + (tuple(g.joints) if g else ()),
            float(param(self, "joint_merge_max_age_s", 0.25)),
        )
        self.joint_msgs = 0
        self.q: np.ndarray | None = None
        self.opening = 0.0
        self.q_hold: np.ndarray | None = None
        self.last_warn = 0.0
        self.warned_joints = False
        self.traj_pub = self.create_publisher(
            JointTrajectory, "/arm_controller/joint_trajectory", 10
        )
        self.grip_pub = self.create_publisher(Float64, "/gripper_controller/command", 10)
        self.state_pub = self.create_publisher(JointState, "/ee_state", 10)
        self.hold_pub = self.create_publisher(Bool, "/arm_adapter/holding", 10)
        self.create_subscription(JointState, "/joint_states", self.on_joints, 10)
        self.create_subscription(JointState, "/planner/action", self.on_action, 10)
        self.create_timer(0.1, self.check)

    def on_joints(self, msg: JointState) -> None:
        n = min(len(msg.name), len(msg.position))
        stamp = stamp_sec(msg.header.stamp) or time.time()  # an unset stamp means "now"
        merged = self.merger.update(list(msg.name[:n]), list(msg.position[:n]), stamp)
        self.joint_msgs += 1
        if merged is None:
            missing = self.merger.missing()
            if missing and self.joint_msgs >= 20 and not self.warned_joints:
                self.warned_joints = True
                seen = sorted(self.merger.seen)
                self.get_logger().warn(f"/joint_states: no message carries {missing} (seen {seen})")
            return
        q = merged[: self.n_arm]
        self.q, self.opening = q, float(merged[self.n_arm :].sum())
        self.watchdog.feed("joint_states")
        state = self.adapter.ee_state(q, self.opening)
        self.state_pub.publish(vector_msg(self.desc.state_names, state, msg.header.stamp))

    def on_action(self, msg: JointState) -> None:
        self.watchdog.feed("action")
        if self.q is None or not self.watchdog.ok():
            return
        cmd = self.adapter.command(np.array(msg.position, dtype=np.float64), self.q, self.opening)
        if cmd.held and time.monotonic() - self.last_warn > 1.0:  # rate-limited by hand:
            self.last_warn = time.monotonic()  # rclpy's throttle filters break with other loggers
            self.get_logger().warn(f"holding: {cmd.reason}")
        self.q_hold = None
        self.send(cmd.positions, cmd.gripper, held=cmd.held)

    def check(self) -> None:
        if self.q is None or self.watchdog.ok():
            return
        if self.q_hold is None:  # latch the joints at the moment inputs went stale
            self.q_hold = self.q.copy()
        self.send(self.q_hold, None, held=True)

    def send(self, positions: np.ndarray, gripper: float | None, held: bool) -> None:
        traj = JointTrajectory(joint_names=list(self.desc.joint_names))
        point = JointTrajectoryPoint(positions=[float(v) for v in positions])
        point.time_from_start = Duration(nanosec=int(1e9 / self.desc.control_rate_hz))
        traj.points = [point]
        self.traj_pub.publish(traj)
        if gripper is not None:
            self.grip_pub.publish(Float64(data=float(gripper)))
        self.hold_pub.publish(Bool(data=held))


def main(args: list[str] | None = None) -> int:
    return run_node(ArmAdapterNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
