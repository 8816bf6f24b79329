"""planner_node (lifecycle): world model + latent MPC -> ee-delta (or v, omega) actions.

configure: loads the checkpoint (jepa_wm.models.checkpoint.load_world_model) and the planner
           config (a PolicyConfig YAML, ``planner_config``; else ``planner``) into a
           jepa_wm.app.policy.WorldModelPolicy. activate: starts the control timer.
Subscribes /camera/image_raw (sensor-data QoS, keep last 1; rgb8/bgr8/rgba8/bgra8/mono8 are
           converted; a refused frame is logged with its reason, rate-limited per reason), /ee_state (JointState, the 7-D
           state from the arm adapter's FK; /odom-derived for a base), /goal/image (latched),
           /goal/state (JointState, latched, optional: used with the goal image of the same
           frame_id when the planner config has a state term and its ``goal`` is image+state;
           the ``goal`` parameter, image or image+state, overrides the config's),
           /task/episode (Int32: a new episode resets the history).
Publishes  /planner/action (JointState named after the action, stamped with the camera frame's
           stamp), /diagnostics (plan ms, energy, goal id, step).
No action is ever guessed: nothing is published until camera, state and goal are all present and
camera and state are younger than ``stale_s``.
"""

from __future__ import annotations

import time

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Int32

from jepa_wm_ros.common import LATCHED_QOS, SENSOR_QOS, param, run_node
from jepa_wm_ros.conversions import ImageRefusals, stamp_sec, vector_msg

ARM_ACTIONS = ("dx", "dy", "dz", "droll", "dpitch", "dyaw", "dgripper")
BASE_ACTIONS = ("v", "omega")


class PlannerNode(LifecycleNode):
    def __init__(self) -> None:
        super().__init__("planner_node")
        self.checkpoint = param(self, "checkpoint", "")
        self.planner_config = param(self, "planner_config", "")
        self.planner_name = param(self, "planner", "cem")
        self.goal_mode = param(self, "goal", "")  # "" = the planner config's
        self.device = param(self, "device", "cpu")
        self.robot = param(self, "robot", "panda")
        self.rate_hz = float(param(self, "rate_hz", 5.0))
        self.stale_s = float(param(self, "stale_s", 0.5))
        self.policy = None
        self.timer = None
        self.inputs: dict[str, tuple[float, object]] = {}  # name -> (receive time, value)
        self.goal_id = ""
        self.goal_states: dict[str, np.ndarray] = {}  # goal id -> goal proprio state
        self.refusals = ImageRefusals(self.get_logger().error)  # rate-limited per reason
        self.waiting_logged = ""
        self.steps = 0
        self.last_stamp = -1.0
        self.action_pub = self.create_publisher(JointState, "/planner/action", 10)
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_subscription(Image, "/camera/image_raw", self.on_image, SENSOR_QOS)
        self.create_subscription(JointState, "/ee_state", self.on_state, 10)
        self.create_subscription(Image, "/goal/image", self.on_goal, LATCHED_QOS)
        self.create_subscription(JointState, "/goal/state", self.on_goal_state, LATCHED_QOS)
        self.create_subscription(Int32, "/task/episode", self.on_episode, LATCHED_QOS)
        if bool(param(self, "autostart", True)):  # no lifecycle manager here: go to active
            self.trigger_configure()
            if self.policy is not None:
                self.trigger_activate()

    # -- lifecycle ------------------------------------------------------------------------------
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        import torch

        from hardware.limits import load_robot
        from jepa_wm.app.policy import PolicyConfig, WorldModelPolicy
        from jepa_wm.config import load_config
        from jepa_wm.errors import JepaWmError
        from jepa_wm.models.checkpoint import load_world_model

        torch.set_num_threads(int(param(self, "torch_threads", 1)))
        try:
            desc = load_robot(self.robot)
            if desc.kind == "arm":
                low, high = desc.ee_delta_limits.low_high()
            else:
                lim = np.array([desc.twist_limits.linear, desc.twist_limits.angular])
                low, high = -lim, lim
            model = load_world_model(self.checkpoint, device=self.device)
            overrides = {} if self.planner_config else {"planner": self.planner_name}
            if self.goal_mode:
                overrides["goal"] = self.goal_mode
            cfg = load_config(PolicyConfig, self.planner_config or None, overrides)
            self.policy = WorldModelPolicy.from_config(model, cfg, low, high, device=self.device)
        except (JepaWmError, ValueError) as exc:
            self.get_logger().error(f"configure failed: {exc}")
            return TransitionCallbackReturn.FAILURE
        self.action_names = ARM_ACTIONS if desc.kind == "arm" else BASE_ACTIONS
        self.get_logger().info(
            f"loaded {self.checkpoint} with planner {cfg.planner}, goal {cfg.goal}"
        )
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.timer = self.create_timer(1.0 / self.rate_hz, self.step)
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self.timer is not None:
            self.destroy_timer(self.timer)
            self.timer = None
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.policy = None
        return TransitionCallbackReturn.SUCCESS

    # -- inputs ---------------------------------------------------------------------------------
    def on_image(self, msg: Image) -> None:
        rgb = self.refusals.decode(msg, "/camera/image_raw")
        if rgb is not None:
            self.inputs["camera"] = (time.monotonic(), (rgb, msg.header.stamp))

    def on_state(self, msg: JointState) -> None:
        self.inputs["state"] = (time.monotonic(), np.array(msg.position, dtype=np.float32))

    def on_goal(self, msg: Image) -> None:
        rgb = self.refusals.decode(msg, "/goal/image")
        if rgb is not None:
            self.inputs["goal"] = (time.monotonic(), rgb)
            self.goal_id = msg.header.frame_id

    def on_goal_state(self, msg: JointState) -> None:
        state = np.array(msg.position, dtype=np.float32)
        if np.all(np.isfinite(state)):  # a NaN goal is refused, never planned toward
            self.goal_states = {msg.header.frame_id: state}
        else:
            self.get_logger().error(f"refusing goal state {msg.header.frame_id}: not finite")

    def on_episode(self, msg: Int32) -> None:
        if self.policy is not None:
            self.policy.reset()
        if not self.goal_id.startswith(f"ep{msg.data}/"):  # a goal of an earlier episode
            self.inputs.pop("goal", None)
        self.get_logger().info(f"episode {msg.data}: history reset")

    # -- control --------------------------------------------------------------------------------
    def _missing(self) -> str:
        now = time.monotonic()
        for name in ("camera", "state", "goal"):
            if name not in self.inputs:
                return f"no {name} yet"
            if name != "goal" and now - self.inputs[name][0] > self.stale_s:
                return f"{name} stale"
        return ""

    def step(self) -> None:
        from hardware.interfaces import Observation

        missing = self._missing()
        if missing:
            if missing != self.waiting_logged:
                self.get_logger().warn(f"not planning: {missing}")
                self.waiting_logged = missing
            return
        self.waiting_logged = ""
        rgb, stamp = self.inputs["camera"][1]
        if stamp_sec(stamp) == self.last_stamp:  # no new frame since the last plan: nothing to do
            return
        self.last_stamp = stamp_sec(stamp)
        state = self.inputs["state"][1]
        self.policy.set_goal(self.inputs["goal"][1], self.goal_states.get(self.goal_id))
        action = self.policy(Observation(rgb=rgb, state=state, timestamp=stamp_sec(stamp)), None)
        self.action_pub.publish(vector_msg(self.action_names, action, stamp))
        self.steps += 1
        self.publish_diagnostics(stamp)

    def publish_diagnostics(self, stamp) -> None:  # noqa: ANN001 - builtin_interfaces/Time
        info = {
            k: (v.item() if hasattr(v, "item") else v) for k, v in self.policy.last_info.items()
        }
        values = {
            "plan_ms": info.get("plan_ms", info.get("step_ms", 0.0)),
            "energy": info.get("energy", 0.0),
            "goal": self.goal_id,
            "step": self.steps,
            "camera_stamp": f"{stamp_sec(stamp):.6f}",
        }
        status = DiagnosticStatus(
            level=DiagnosticStatus.OK,
            name="planner_node",
            message="planning",
            hardware_id=self.robot,
            values=[
                KeyValue(key=k, value=str(float(v)) if isinstance(v, float) else str(v))
                for k, v in values.items()
            ],
        )
        arr = DiagnosticArray(status=[status])
        arr.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(arr)


def main(args: list[str] | None = None) -> int:
    return run_node(PlannerNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
