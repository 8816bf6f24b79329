"""goal_capture: snapshot the live camera views and joint state into a goal set on disk.

Drive the robot to a goal, then call ``/goal_capture/capture`` (std_srvs/Trigger): every view's
newest frame becomes a PNG and the joint state (merged over the messages of every driver on
/joint_states) and the planner's proprio state (/ee_state, when published) go into
``goal_set.yaml`` (``hardware.goal_set``). ``task_node`` plays the set later (``goal_set``).

Parameters: out (the goal-set folder), views (names, default [rgb]), topics (their Image topics,
default [/camera/image_raw]), state_topic (/ee_state; '' for none), stale_s (inputs older than
this refuse the capture, default 2.0). The reply's message names the goal written, or why not.
"""

from __future__ import annotations

import time

import numpy as np
from rclpy.node import Node
from sensor_msgs.msg import Image, JointState
from std_srvs.srv import Trigger

from jepa_wm_ros.common import SENSOR_QOS, param, run_node
from jepa_wm_ros.conversions import msg_to_rgb


class GoalCaptureNode(Node):
    def __init__(self) -> None:
        super().__init__("goal_capture")
        self.out = str(param(self, "out", ""))
        if not self.out:
            raise ValueError("goal_capture: set the parameter out (the goal-set folder)")
        self.views = [str(v) for v in param(self, "views", ["rgb"])]
        topics = [str(t) for t in param(self, "topics", ["/camera/image_raw"])]
        if len(topics) != len(self.views):
            raise ValueError(f"goal_capture: {len(self.views)} views but {len(topics)} topics")
        self.stale_s = float(param(self, "stale_s", 2.0))
        self.frames: dict[str, tuple[float, Image]] = {}
        self.joints: dict[str, float] = {}  # every joint any driver published, latest value
        self.joints_t = 0.0
        self.state: tuple[float, JointState] | None = None
        for view, topic in zip(self.views, topics, strict=True):
            self.create_subscription(Image, topic, lambda m, v=view: self._frame(v, m), SENSOR_QOS)
        self.create_subscription(JointState, "/joint_states", self.on_joints, 10)
        state_topic = str(param(self, "state_topic", "/ee_state"))
        if state_topic:
            self.create_subscription(JointState, state_topic, self.on_state, 10)
        self.create_service(Trigger, "/goal_capture/capture", self.capture)

    def _frame(self, view: str, msg: Image) -> None:
        self.frames[view] = (time.monotonic(), msg)

    def on_joints(self, msg: JointState) -> None:
        self.joints.update(zip(msg.name, msg.position, strict=False))
        self.joints_t = time.monotonic()

    def on_state(self, msg: JointState) -> None:
        self.state = (time.monotonic(), msg)

    def _missing(self) -> list[str]:
        now = time.monotonic()
        stale = [
            f"view {v}" for v in self.views if now - self.frames.get(v, (-1e9,))[0] > self.stale_s
        ]
        if now - self.joints_t > self.stale_s:
            stale.append("/joint_states")
        return stale

    def capture(self, _req: Trigger.Request, res: Trigger.Response) -> Trigger.Response:
        """success=False with the reason when an input is missing or stale; else the goal name."""
        from hardware.goal_set import Goal, GoalSetError, add_goal, next_goal_name

        missing = self._missing()
        if missing:
            res.success, res.message = False, f"no recent {', '.join(missing)} (> {self.stale_s} s)"
            return res
        try:
            images = {v: msg_to_rgb(self.frames[v][1]) for v in self.views}
            state = (
                self.state
                if self.state and time.monotonic() - self.state[0] <= self.stale_s
                else None
            )
            goal = Goal(
                name=next_goal_name(self.out),
                images=images,
                joint_names=list(self.joints),
                joint_positions=list(self.joints.values()),
                state_names=list(state[1].name) if state else [],
                state=np.asarray(state[1].position, np.float64) if state else None,
                stamp=self.get_clock().now().nanoseconds / 1e9,
            )
            add_goal(self.out, goal)
        except (GoalSetError, ValueError, OSError) as exc:
            res.success, res.message = False, f"capture failed: {exc}"
            return res
        self.get_logger().info(f"captured {goal.name} into {self.out}")
        res.success, res.message = True, goal.name
        return res


def main(args: list[str] | None = None) -> int:
    return run_node(GoalCaptureNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
