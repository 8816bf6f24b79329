"""base_adapter: planner (v, omega) actions -> clipped /cmd_vel, zero twist when inputs are stale.

Subscribes /planner/action (JointState named v, omega) and /odom. Publishes /ee_state (x, y,
yaw from /odom: the planner's state, named after the description's state_names) and /cmd_vel
(Twist, or TwistStamped with ``twist_stamped:=true``) at ``rate_hz``. Names and twist bounds
come from the robot description (``robot``, hardware/robots/<robot>.yaml).
"""

from __future__ import annotations

import time

import numpy as np
from geometry_msgs.msg import Twist, TwistStamped
from nav_msgs.msg import Odometry
from rclpy.node import Node
from sensor_msgs.msg import JointState

from hardware.adapters import BaseAdapter, Watchdog
from hardware.limits import LimitsError, load_robot
from jepa_wm_ros.common import param, run_node
from jepa_wm_ros.conversions import vector_msg


class BaseAdapterNode(Node):
    def __init__(self) -> None:
        super().__init__("base_adapter")
        self.desc = load_robot(param(self, "robot", "husky"))
        if not self.desc.state_names:
            raise LimitsError(f"{self.desc.name}: the description has no state_names")
        self.adapter = BaseAdapter(self.desc)
        self.watchdog = Watchdog(
            ("action", "odom"),
            float(param(self, "stale_s", 0.5)),
            log=lambda m: self.get_logger().warn(m),
        )
        self.stamped = bool(param(self, "twist_stamped", False))
        self.twist = np.zeros(2)
        self.last_warn = 0.0
        self.last_warn = 0.0
        self.pub = self.create_publisher(TwistStamped if self.stamped else Twist, "/cmd_vel", 10)
        self.create_subscription(JointState, "/planner/action", self.on_action, 10)
        self.state_pub = self.create_publisher(JointState, "/ee_state", 10)
        self.create_subscription(Odometry, "/odom", self.on_odom, 10)
        self.create_timer(1.0 / float(param(self, "rate_hz", 10.0)), self.tick)

    def on_odom(self, msg: Odometry) -> None:
        """Freshness, and the planner's 3-D state (x, y, yaw) from the odometry pose."""
        self.watchdog.feed("odom")
        p, q = msg.pose.pose.position, msg.pose.pose.orientation
        yaw = float(np.arctan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z)))
        self.state_pub.publish(
            vector_msg(self.desc.state_names, np.array([p.x, p.y, yaw]), msg.header.stamp)
        )

    def on_action(self, msg: JointState) -> None:
        self.watchdog.feed("action")
        self.twist, held = self.adapter.command(np.array(msg.position, dtype=np.float64))
        if (
            held and time.monotonic() - self.last_warn > 1.0
        ):  # hand-rolled throttle (see arm_adapter)
            self.last_warn = time.monotonic()
            self.get_logger().warn("non-finite or malformed action: zero twist")

    def tick(self) -> None:
        v, w = self.twist if self.watchdog.ok() else (0.0, 0.0)
        twist = Twist()
        twist.linear.x, twist.angular.z = float(v), float(w)
        if self.stamped:
            msg = TwistStamped(twist=twist)
            msg.header.stamp = self.get_clock().now().to_msg()
            self.pub.publish(msg)
        else:
            self.pub.publish(twist)


def main(args: list[str] | None = None) -> int:
    return run_node(BaseAdapterNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
