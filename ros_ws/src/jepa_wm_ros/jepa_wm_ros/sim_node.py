"""sim_node: owns a pybullet task (sim.registry.make_env) and exposes it like a real robot.

Publishes  /camera/image_raw (rgb8), /camera/camera_info, /joint_states (arm) or /odom (base).
Subscribes /arm_controller/joint_trajectory (JointTrajectory; the last point is the target),
           /gripper_controller/command (std_msgs/Float64: finger opening in metres; control_msgs
           is not available as a wheel here), /cmd_vel (Twist, or TwistStamped with
           ``twist_stamped:=true``).
Services   ~/reset (std_srvs/Trigger: re-draws the scene from ``seed`` + the number of earlier
           resets; the reply message is ``seed=N``), ~/success (std_srvs/Trigger: ground truth,
           for evaluation only; a real robot has no such service).
Parameters env, seed, image_size, rate_hz (0 = the env's fps), robot, lockstep (step only
           when a new command arrived: the sim then waits for a slow planner), video (an mp4
           path: every stepped camera frame is written there).
"""

from __future__ import annotations

import numpy as np
from geometry_msgs.msg import Twist, TwistStamped
from nav_msgs.msg import Odometry
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image, JointState
from std_msgs.msg import Float64
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

from jepa_wm_ros.common import param, run_node
from jepa_wm_ros.conversions import camera_info_msg, rgb_to_msg


class SimNode(Node):
    def __init__(self) -> None:
        super().__init__("sim_node")
        from hardware.camera import intrinsics
        from hardware.limits import load_robot
        from sim.registry import make_env

        self.env_name = param(self, "env", "franka-grasp")
        self.seed0 = int(param(self, "seed", 0))
        self.lockstep = bool(param(self, "lockstep", False))
        self.env = make_env(self.env_name, image_size=int(param(self, "image_size", 64)))
        self.is_arm = self.env_name.startswith("franka")
        self.desc = load_robot(param(self, "robot", "panda" if self.is_arm else "husky"))
        size = self.env.image_size
        self.k = intrinsics(size, size, float(getattr(self.env.camera, "fov_deg", 42.0)))
        self.resets = 0
        self.q_target: np.ndarray | None = None
        self.opening: float | None = None
        self.twist = np.zeros(2)
        self.fresh_command = False
        self.image_pub = self.create_publisher(Image, "/camera/image_raw", 1)
        self.info_pub = self.create_publisher(CameraInfo, "/camera/camera_info", 1)
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
        self.env.reset(seed=self.seed0)
        self.video = None
        video = param(self, "video", "")
        if video:
            from jepa_wm_ros.sim_bridge import VideoSink

            self.video = VideoSink(str(video), float(self.env.fps))
        rate = float(param(self, "rate_hz", 0.0)) or float(self.env.fps)
        self.timer = self.create_timer(1.0 / rate, self.tick)
        self.get_logger().info(f"{self.env_name} seed {self.seed0} at {rate:.1f} Hz")

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

    def tick(self) -> None:
        if not self.lockstep or self.fresh_command:
            if self.is_arm:
                self.bridge.step(self.q_target, self.opening)
            else:
                self.env.send_action(self.twist)
            self.fresh_command = False
            if self.video is not None:
                self.video.write(self.env.get_observation().rgb)
        self.publish()

    def publish(self) -> None:
        now = self.get_clock().now().to_msg()
        obs = self.env.get_observation()
        self.image_pub.publish(rgb_to_msg(obs.rgb, now, "camera"))
        size = obs.rgb.shape[1], obs.rgb.shape[0]
        self.info_pub.publish(camera_info_msg(self.k, *size, now, "camera"))
        if self.is_arm:
            js = JointState(
                name=list(self.bridge.joint_names),
                position=[float(v) for v in self.bridge.joint_positions()],
            )
            js.header.stamp = now
            self.joint_pub.publish(js)
        else:
            odom = Odometry()
            odom.header.stamp, odom.header.frame_id, odom.child_frame_id = now, "odom", "base_link"
            x, y, yaw = (float(v) for v in obs.state[:3])
            odom.pose.pose.position.x, odom.pose.pose.position.y = x, y
            odom.pose.pose.orientation.z, odom.pose.pose.orientation.w = (
                np.sin(yaw / 2),
                np.cos(yaw / 2),
            )
            self.odom_pub.publish(odom)

    def on_reset(self, _req: Trigger.Request, res: Trigger.Response) -> Trigger.Response:
        self.resets += 1
        seed = self.seed0 + self.resets - 1 if self.resets > 1 else self.seed0
        self.env.reset(seed=seed)
        self.q_target, self.opening, self.twist = None, None, np.zeros(2)
        res.success, res.message = True, f"seed={seed}"
        self.get_logger().info(f"reset to seed {seed}")
        return res

    def on_success(self, _req: Trigger.Request, res: Trigger.Response) -> Trigger.Response:
        res.success = bool(self.env.is_success())
        res.message = "success" if res.success else "not yet"
        return res

    def destroy_node(self) -> None:
        if self.video is not None:
            self.video.close()
        self.env.close()
        super().destroy_node()


def main(args: list[str] | None = None) -> int:
    return run_node(SimNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
