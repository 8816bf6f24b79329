"""task_node: the grasp sequencer. Publishes subgoal images (pre-grasp, grasp, lift) one at a time.

Sim mode: resets the sim (``reset_service``), renders the same seed's ``env.subgoals()`` in its
own env (scenes are deterministic per seed, so no privileged topic is needed) and asks the
ground-truth ``success_service``. Files mode (a real robot): ``subgoal_files`` images, no success
oracle. A subgoal is done when the planner's energy to it (from /diagnostics, matched by goal id)
falls below ``energy_threshold``, after ``steps_per_subgoal`` plans toward it (0 = no step
budget), or after ``subgoal_timeout_s``; the last one runs until success, timeout or
``max_steps`` plans in the episode (0 = none). The step budgets are `jepa-wm eval`'s schedule
(there: 80 // 4 = 20 plans per grasp subgoal, 80 in all), counted in plans so a slow CPU does
not shorten a subgoal the way a wall-clock timeout does. Goal-set mode (``goal_set``: a folder written by goal_capture_node, in sim or files
mode): the captured goals replace the rendered or file subgoals, view ``goal_view`` (default the
first), with their captured proprio state. Publishes /goal/image (latched), /goal/state
(JointState, latched: the subgoal's proprio state in sim mode, where the planner may add a state
term to its cost; none in files mode), in sim mode with ``views`` naming a second camera
(``camera,wrist``) that view of each subgoal on /goal/<view>_image (latched, published before
/goal/image with the same goal id), /task/episode (Int32), /task/status (String, JSON);
prints ``TASK_RESULT {json}`` per episode and exits after ``episodes`` (when ``exit_when_done``).
"""

from __future__ import annotations

import json
import time

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Int32, String
from std_srvs.srv import Trigger

from jepa_wm_ros.common import LATCHED_QOS, param, parse_views, run_node
from jepa_wm_ros.conversions import rgb_to_msg


class TaskNode(Node):
    def __init__(self) -> None:
        super().__init__("task_node")
        self.mode = param(self, "mode", "sim")
        self.env_name = param(self, "env", "franka-grasp")
        self.image_size = int(param(self, "image_size", 64))
        self.files = list(param(self, "subgoal_files", [""]))
        self.goal_set = str(param(self, "goal_set", ""))
        self.goal_view = str(param(self, "goal_view", ""))
        self.episodes = int(param(self, "episodes", 1))
        self.threshold = float(param(self, "energy_threshold", 0.0))
        self.timeout = float(param(self, "subgoal_timeout_s", 20.0))
        self.steps_per_subgoal = int(param(self, "steps_per_subgoal", 0))
        self.max_steps = int(param(self, "max_steps", 0))
        self.plans, self.episode_plans = 0, 0  # plans toward this subgoal / in this episode
        self.exit_when_done = bool(param(self, "exit_when_done", True))
        views = parse_views(str(param(self, "views", "camera")), self.env_name.startswith("franka"))
        self.extra_views = views[1:]
        self.view_pubs = {
            v: self.create_publisher(Image, f"/goal/{v}_image", LATCHED_QOS)
            for v in self.extra_views
        }
        self.subgoal_views: list[dict[str, np.ndarray]] = []
        self.goal_pub = self.create_publisher(Image, "/goal/image", LATCHED_QOS)
        self.goal_state_pub = self.create_publisher(JointState, "/goal/state", LATCHED_QOS)
        # Latched: a node that joins late (a probe, a restarted planner) still learns the episode.
        self.episode_pub = self.create_publisher(Int32, "/task/episode", LATCHED_QOS)
        self.status_pub = self.create_publisher(String, "/task/status", 10)
        self.create_subscription(DiagnosticArray, "/diagnostics", self.on_diag, 10)
        self.reset_cli = self.create_client(Trigger, param(self, "reset_service", "/sim/reset"))
        self.success_cli = self.create_client(
            Trigger, param(self, "success_service", "/sim/success")
        )
        self.env = None
        self.episode, self.seed, self.index = -1, None, 0
        self.subgoals: list[np.ndarray] = []
        self.subgoal_states: list[np.ndarray] = []
        self.phase, self.t0, self.energy = "start", 0.0, float("inf")
        self.pending = None
        self.planned = False
        self.results: list[dict] = []
        self.create_timer(0.25, self.tick)

    def on_diag(self, msg: DiagnosticArray) -> None:
        for st in msg.status:
            kv = {v.key: v.value for v in st.values}
            if st.name == "planner_node" and kv.get("goal") == self.goal_id():
                if not self.planned:  # the subgoal's clock starts with the first plan toward it
                    self.planned, self.t0 = True, time.monotonic()
                self.energy = float(kv.get("energy", "inf"))
                self.plans += 1
                self.episode_plans += 1

    def goal_id(self) -> str:
        return f"ep{self.episode}/subgoal{self.index}"

    def load_subgoals(self) -> list[np.ndarray]:
        if self.goal_set:
            return self.load_goal_set()
        if self.mode == "files":
            import cv2

            imgs = [cv2.imread(f, cv2.IMREAD_COLOR) for f in self.files if f]
            if not imgs or any(i is None for i in imgs):
                raise ValueError(f"subgoal_files: cannot read all of {self.files}")
            size = (self.image_size, self.image_size)
            self.subgoal_states = []
            return [cv2.cvtColor(cv2.resize(i, size), cv2.COLOR_BGR2RGB) for i in imgs]
        if self.env is None:
            from sim.registry import make_env

            wrist = bool(self.extra_views)
            self.env = make_env(self.env_name, image_size=self.image_size, wrist_camera=wrist)
        self.env.reset(seed=self.seed)
        subgoals = self.env.subgoals()
        self.subgoal_states = [o.state for o in subgoals]
        self.subgoal_views = [{v: o.images[v] for v in self.extra_views} for o in subgoals]
        return [o.rgb for o in subgoals]

    def load_goal_set(self) -> list[np.ndarray]:
        """The captured goals' images (view ``goal_view``, resized) and states, in order."""
        import cv2

        from hardware.goal_set import load_goal_set

        goals = load_goal_set(self.goal_set)
        view = self.goal_view or next(iter(goals[0].images))
        if any(view not in g.images for g in goals):
            raise ValueError(f"goal_set {self.goal_set}: a goal lacks view {view!r}")
        size = (self.image_size, self.image_size)
        states = [g.state for g in goals]
        self.subgoal_states = states if all(s is not None for s in states) else []
        return [cv2.resize(g.images[view], size, interpolation=cv2.INTER_AREA) for g in goals]

    def publish_goal(self) -> None:
        now = self.get_clock().now().to_msg()
        if self.subgoal_states:  # before the image: the planner pairs them by goal id
            msg = JointState(position=[float(v) for v in self.subgoal_states[self.index]])
            msg.header.stamp, msg.header.frame_id = now, self.goal_id()
            self.goal_state_pub.publish(msg)
        for view, pub in self.view_pubs.items():  # before the main image, like the state
            if self.index < len(self.subgoal_views):
                pub.publish(rgb_to_msg(self.subgoal_views[self.index][view], now, self.goal_id()))
        self.goal_pub.publish(rgb_to_msg(self.subgoals[self.index], now, self.goal_id()))
        self.energy, self.t0, self.planned = float("inf"), time.monotonic(), False
        self.plans = 0
        self.get_logger().info(
            f"episode {self.episode}: subgoal {self.index + 1}/{len(self.subgoals)}"
        )

    def tick(self) -> None:
        if self.pending is not None and not self.pending.done():
            return
        handler = {
            "start": self.start,
            "resetting": self.started,
            "run": self.run,
            "checking": self.checked,
        }[self.phase]
        handler()

    def start(self) -> None:
        self.episode += 1
        if self.mode == "files":
            self.seed, self.phase = None, "resetting"
            self.pending = None
            return
        if not self.reset_cli.service_is_ready():
            self.episode -= 1
            return
        self.pending, self.phase = self.reset_cli.call_async(Trigger.Request()), "resetting"

    def started(self) -> None:
        if self.pending is not None:
            self.seed = int(self.pending.result().message.split("=")[1])
        self.subgoals, self.index = self.load_subgoals(), 0
        self.episode_plans = 0
        self.episode_pub.publish(Int32(data=self.episode))
        self.publish_goal()
        self.phase, self.pending = "run", None

    def run(self) -> None:
        last = self.index == len(self.subgoals) - 1
        timed_out = time.monotonic() - self.t0 > self.timeout
        if last and 0 < self.max_steps <= self.episode_plans:
            timed_out = True  # the episode's plan budget is spent
        stepped = 0 < self.steps_per_subgoal <= self.plans
        if not last and (self.energy < self.threshold or timed_out or stepped):
            self.index += 1
            self.publish_goal()
        elif last and self.mode == "sim":
            self.pending, self.phase = self.success_cli.call_async(Trigger.Request()), "checking"
            self.last_timed_out = timed_out
        elif last and timed_out:
            self.finish(None)

    def checked(self) -> None:
        success = bool(self.pending.result().success)
        self.pending, self.phase = None, "run"
        if success or self.last_timed_out:
            self.finish(success)

    def finish(self, success: bool | None) -> None:
        result = {
            "episode": self.episode,
            "seed": self.seed,
            "success": success,
            "subgoals_reached": self.index + 1,
        }
        self.results.append(result)
        print("TASK_RESULT " + json.dumps(result), flush=True)
        self.status_pub.publish(String(data=json.dumps(result)))
        self.phase = "start"
        if self.episode + 1 >= self.episodes and self.exit_when_done:
            wins = sum(bool(r["success"]) for r in self.results)
            self.get_logger().info(f"done: {wins}/{len(self.results)} episodes succeeded")
            raise SystemExit(0)

    def destroy_node(self) -> None:
        if (
            getattr(self, "env", None) is not None
        ):  # disconnect pybullet now, not in __del__ at interpreter exit
            self.env.close()
            self.env = None
        super().destroy_node()


def main(args: list[str] | None = None) -> int:
    return run_node(TaskNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
