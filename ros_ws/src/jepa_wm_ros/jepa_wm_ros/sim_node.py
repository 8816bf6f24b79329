"""sim_node: owns a pybullet task (sim.registry.make_env) and exposes it like a real robot.

Publishes  /camera/image_raw (rgb8), /camera/camera_info (intrinsics from env.camera_info()),
           and for each further view named in ``views`` its own /<view>_camera/image_raw and
           /<view>_camera/camera_info (Franka: ``wrist``, the hand camera; Husky: ``overhead``),
           all stamped alike,
           /joint_states (arm) or /odom (base); /sim/state (JointState named after
           env.state_names: the env's own state, e.g. the 7-D ee state of a Franka task) and
           /sim/action (Float64MultiArray: the applied, clipped action of each control step,
           sent right after the frame it was computed from); with a scripted driver also
           /episode_active (std_msgs/Bool, latched; true = episode start, false = stop).
Subscribes /arm_controller/joint_trajectory (JointTrajectory; the last point is the target),
           /gripper_controller/command (std_msgs/Float64: finger opening in metres; control_msgs
           is not available as a wheel here), /cmd_vel (Twist, or TwistStamped with
           ``twist_stamped:=true``). Commands are ignored with a scripted driver.
Services   ~/reset (std_srvs/Trigger: re-draws the scene from ``seed`` + the number of earlier
           resets; the reply message is ``seed=N``), ~/success (std_srvs/Trigger: ground truth,
           for evaluation only; a real robot has no such service).
Parameters env, seed, image_size, views (comma-separated camera views: ``camera`` is the main
           one and always published; e.g. ``camera,wrist``), rate_hz (0 = the env's fps), robot, lockstep (step only
           when a new command arrived: the sim then waits for a slow planner), video (an mp4
           path: every stepped camera frame is written there), driver (``external``: the
           command topics drive the sim; ``expert``, ``mixed`` or ``random``: the scripted
           policy of sim.policies drives it, seeded per episode as ``jepa-wm collect`` seeds it;
           an episode ends ``tail_steps`` steps after its first success or after ``max_steps``
           (0 = the env's), then the sim resets to the next seed; for recording training data,
           see launch/record_sim.launch.yaml).
"""

from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Time as TimeMsg
from geometry_msgs.msg import Twist, TwistStamped
from nav_msgs.msg import Odometry
from rclpy.node import Node
from rclpy.time import Time
from sensor_msgs.msg import CameraInfo, Image, JointState
from std_msgs.msg import Bool, Float64, Float64MultiArray
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

from jepa_wm_ros.common import LATCHED_QOS, param, parse_views, run_node, view_prefix
from jepa_wm_ros.conversions import camera_info_msg, rgb_to_msg, vector_msg
from jepa_wm_ros.sim_bridge import camera_matrix

SCRIPTED = ("expert", "mixed", "random")  # sim.policies names, run inside the node
DRIVERS = ("external", *SCRIPTED)


class SimNode(Node):
    def __init__(self) -> None:
        super().__init__("sim_node")
        from hardware.limits import load_robot
        from sim.policies import make_policy
        from sim.registry import ENV_NAMES, make_env

        self.env_name = param(self, "env", "franka-grasp")
        self.seed0 = int(param(self, "seed", 0))
        self.lockstep = bool(param(self, "lockstep", False))
        self.driver = str(param(self, "driver", "external"))
        if self.driver not in DRIVERS:  # checked before the env exists: nothing to close
            raise ValueError(f"driver must be one of {DRIVERS}, got {self.driver!r}")
        if self.env_name not in ENV_NAMES:
            raise ValueError(f"env must be one of {ENV_NAMES}, got {self.env_name!r}")
        self.is_arm = self.env_name.startswith("franka")
        self.desc = load_robot(param(self, "robot", "panda" if self.is_arm else "husky"))
        self.views = parse_views(str(param(self, "views", "camera")), self.is_arm)
        self.env = make_env(
            self.env_name,
            image_size=int(param(self, "image_size", 64)),
            wrist_camera=len(self.views) > 1,
        )
        info = self.env.camera_info()
        self.k = {v: camera_matrix(info["rgb" if v == "camera" else v]) for v in self.views}
        self.max_steps = int(param(self, "max_steps", 0)) or int(self.env.max_steps)
        self.tail_steps = int(param(self, "tail_steps", 5))  # as `jepa-wm collect`
        self.resets, self.steps, self.success_at = 0, 0, None
        self.scripted = self.driver in SCRIPTED
        self.policy = make_policy(self.driver, self.env, self.seed0) if self.scripted else None
        self.q_target: np.ndarray | None = None
        self.opening: float | None = None
        self.twist = np.zeros(2)
        self.fresh_command = False
        self._make_io()
        self.reset_env(self.seed0)
        self.video = None
        video = param(self, "video", "")
        if video:
            from jepa_wm_ros.sim_bridge import VideoSink

            self.video = VideoSink(str(video), float(self.env.fps))
        if self.scripted:
            self.mark_episode(True)
        rate = float(param(self, "rate_hz", 0.0)) or float(self.env.fps)
        self.period_ns = int(round(1e9 / rate))
        self.t0_ns = self.get_clock().now().nanoseconds  # at or before the timer's own start
        self.timer = self.create_timer(1.0 / rate, self.tick)
        self.get_logger().info(
            f"{self.env_name} seed {self.seed0} at {rate:.1f} Hz, driver {self.driver}"
        )

    def _make_io(self) -> None:
        self.image_pubs = {
            v: self.create_publisher(Image, f"{view_prefix(v)}/image_raw", 1) for v in self.views
        }
        self.info_pubs = {
            v: self.create_publisher(CameraInfo, f"{view_prefix(v)}/camera_info", 1)
            for v in self.views
        }
        self.state_pub = self.create_publisher(JointState, "/sim/state", 10)
        self.action_pub = self.create_publisher(Float64MultiArray, "/sim/action", 10)
        if self.scripted:
            self.episode_pub = self.create_publisher(Bool, "/episode_active", LATCHED_QOS)
        if self.is_arm:
            from jepa_wm_ros.sim_bridge import ArmSimBridge

            self.bridge = ArmSimBridge(self.env, self.desc)
            self.joint_pub = self.create_publisher(JointState, "/joint_states", 10)
            self.create_subscription(
                JointTrajectory, "/arm_controller/joint_trajectory", self.on_traj, 10
            )
            self.create_subscription(Float64, "/gripper_controller/command", self.on_gripper, 10)
        else:
            self.odom_pub = self.create_publisher(Odometry, "/odom", 10)
            stamped = bool(param(self, "twist_stamped", False))
            self.create_subscription(
                TwistStamped if stamped else Twist, "/cmd_vel", self.on_twist, 10
            )
        self.create_service(Trigger, "~/reset", self.on_reset)
        self.create_service(Trigger, "~/success", self.on_success)

    # -- commands -------------------------------------------------------------------------------
    def on_traj(self, msg: JointTrajectory) -> None:
        if not msg.points:
            return
        index = {n: i for i, n in enumerate(msg.joint_names)}
        names = self.desc.joint_names
        if any(n not in index for n in names):
            self.get_logger().warn(f"trajectory lacks joints {names}; ignored")
            return
        pos = msg.points[-1].positions
        self.q_target = np.array([pos[index[n]] for n in names], dtype=np.float64)
        self.fresh_command = True

    def on_gripper(self, msg: Float64) -> None:
        self.opening = float(msg.data)

    def on_twist(self, msg: Twist | TwistStamped) -> None:
        t = msg.twist if isinstance(msg, TwistStamped) else msg
        self.twist = np.array([t.linear.x, t.angular.z])
        self.fresh_command = True

    # -- control loop ---------------------------------------------------------------------------
    def tick(self) -> None:
        if self.scripted:
            self.scripted_tick()
            return
        if not self.lockstep or self.fresh_command:
            if self.is_arm:
                applied = self.bridge.step(self.q_target, self.opening)
            else:
                applied = self.env.send_action(self.twist)
            self.fresh_command = False
            self.publish_action(applied)
            if self.video is not None:
                self.video.write(self.env.get_observation().rgb)
        self.publish()

    def scripted_tick(self) -> None:
        """Frame t and the scripted policy's action a_t, then one control step.

        Everything of tick k is stamped with its scheduled time ``t0 + k / rate_hz`` (not the
        late wall time), and a_t (headerless, so a recorder logs it on arrival) is published
        before the frame is rendered: a_t then always lands in [stamp_t, stamp_t + period),
        where bag2zarr looks for it, and every frame sits on its own slot of the bag2zarr grid
        however late a tick runs on a loaded CPU (no frame is decimated, so consecutive frames
        of the store are consecutive control steps). Episodes end as in jepa_wm.app.collect
        (``tail_steps`` after the first success, or ``max_steps``), and the frame that ends one
        gets a zero action; then the sim resets to the next seed.
        """
        stamp = self.scheduled_stamp()
        if self.success_at is None and self.steps > 0 and self.env.is_success():
            self.success_at = self.steps - 1  # the index of the action that reached it
        tail_done = (  # a negative tail_steps never ends an episode early, as in `collect`
            self.success_at is not None
            and self.tail_steps >= 0
            and self.steps - 1 - self.success_at >= self.tail_steps
        )
        if tail_done or self.steps >= self.max_steps:
            self.publish_action(np.zeros(self.env.action_spec.dim))
            self.publish(stamp)
            self.mark_episode(False)
            self.next_seed()
            self.mark_episode(True)
            return
        # Scripted policies read privileged sim state, not the observation or a goal image.
        action = self.env.action_spec.clip(np.asarray(self.policy(None, None)))  # as applied
        self.publish_action(action)
        self.publish(stamp)
        self.env.send_action(action)
        self.steps += 1
        if self.video is not None:
            self.video.write(self.env.get_observation().rgb)

    def scheduled_stamp(self) -> TimeMsg:
        """The start of the current tick's period on the timer's grid (t0 + k * period)."""
        k = (self.get_clock().now().nanoseconds - self.t0_ns) // self.period_ns
        return Time(nanoseconds=self.t0_ns + k * self.period_ns).to_msg()

    def mark_episode(self, active: bool) -> None:
        self.episode_pub.publish(Bool(data=active))

    def publish_action(self, action: np.ndarray) -> None:
        self.action_pub.publish(
            Float64MultiArray(data=[float(v) for v in np.asarray(action).reshape(-1)])
        )

    def publish(self, now: TimeMsg | None = None) -> None:
        now = now or self.get_clock().now().to_msg()
        obs = self.env.get_observation()
        for view in self.views:
            rgb = obs.rgb if view == "camera" else obs.images[view]
            frame = view_prefix(view).lstrip("/")
            self.image_pubs[view].publish(rgb_to_msg(rgb, now, frame))
            size = rgb.shape[1], rgb.shape[0]
            self.info_pubs[view].publish(camera_info_msg(self.k[view], *size, now, frame))
        self.state_pub.publish(vector_msg(self.env.state_names, obs.state, now))
        if self.is_arm:
            js = JointState(
                name=list(self.bridge.joint_names),
                position=[float(v) for v in self.bridge.joint_positions()],
            )
            js.header.stamp = now
            self.joint_pub.publish(js)
        else:
            self.odom_pub.publish(odometry_msg(obs.state, now))

    # -- services -------------------------------------------------------------------------------
    def next_seed(self) -> int:
        """Reset to the next seed: ``seed`` + the number of earlier resets (the first ~/reset
        keeps ``seed``); with a scripted driver the first episode already ran on ``seed``."""
        self.resets += 1
        seed = self.seed0 + self.resets - (0 if self.scripted else 1)
        self.reset_env(seed)
        self.q_target, self.opening, self.twist = None, None, np.zeros(2)
        self.get_logger().info(f"reset to seed {seed}")
        return seed

    def reset_env(self, seed: int) -> None:
        from sim.seeds import policy_seed

        self.env.reset(seed=seed)
        self.steps, self.success_at = 0, None
        if self.policy is not None:
            self.policy.reset(seed=policy_seed(seed))

    def on_reset(self, _req: Trigger.Request, res: Trigger.Response) -> Trigger.Response:
        seed = self.next_seed()
        res.success, res.message = True, f"seed={seed}"
        return res

    def on_success(self, _req: Trigger.Request, res: Trigger.Response) -> Trigger.Response:
        res.success = bool(self.env.is_success())
        res.message = "success" if res.success else "not yet"
        return res

    def destroy_node(self) -> None:
        # Once, and safe on a half-built node (rclpy's context cleanup destroys those too).
        if getattr(self, "video", None) is not None:
            self.video.close()
            self.video = None
        if getattr(self, "env", None) is not None:
            self.env.close()
            self.env = None
        super().destroy_node()


def odometry_msg(state: np.ndarray, stamp) -> Odometry:  # stamp: builtin_interfaces/Time
    """Odometry of a planar base from its state [x, y, yaw] (3,)."""
    odom = Odometry()
    odom.header.stamp, odom.header.frame_id, odom.child_frame_id = stamp, "odom", "base_link"
    x, y, yaw = (float(v) for v in state[:3])
    odom.pose.pose.position.x, odom.pose.pose.position.y = x, y
    odom.pose.pose.orientation.z = float(np.sin(yaw / 2))
    odom.pose.pose.orientation.w = float(np.cos(yaw / 2))
    return odom


def main(args: list[str] | None = None) -> int:
    return run_node(SimNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
