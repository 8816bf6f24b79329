"""task_node: the grasp sequencer. Publishes subgoal images (pre-grasp, grasp, lift) one at a time.

Sim mode: resets the sim (``reset_service``), renders the same seed's ``env.subgoals()`` in its
own env (scenes are deterministic per seed, so no privileged topic is needed) and asks the
ground-truth ``success_service``. Files mode (a real robot): ``subgoal_files`` images, no success
oracle. When a subgoal is done is ``planners.subgoals.SubgoalSequencer``'s call, the same class
`jepa-wm eval` walks its subgoals with: each plan the planner node reports on /planner/energy
(a typed JointState, matched to the published subgoal by goal id) is one step; a subgoal ends when
that energy is at or below ``energy_threshold`` (0 = off), after ``steps_per_subgoal`` plans
toward it (0 = no step budget), or after ``subgoal_timeout_s``; the last one runs until success,
timeout or ``max_steps`` plans in the episode (0 = none). The step budgets are `jepa-wm eval`'s
schedule (there: 80 // 4 = 20 plans per grasp subgoal, 80 in all), counted in plans so a slow CPU
does not shorten a subgoal the way a wall-clock timeout does. Goal-set mode (``goal_set``: a
folder written by goal_capture_node, in sim or files mode): the captured goals replace the
rendered or file subgoals, view ``goal_view`` (default the first), with their captured proprio
state. Publishes /goal/image (latched), /goal/state
(JointState, latched: the subgoal's proprio state in sim mode, where the planner may add a state
term to its cost; none in files mode), in sim mode with ``views`` naming a second camera
(``camera,wrist``) that view of each subgoal on /goal/<view>_image (latched, published before
/goal/image with the same goal id), /task/episode (Int32), /task/status (String, JSON);
prints ``TASK_RESULT {json}`` per episode and exits after ``episodes`` (when ``exit_when_done``).
"""

from __future__ import annotations

import json

import numpy as np
from rclpy.node import Node
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Int32, String
from std_srvs.srv import Trigger

from jepa_wm_ros.common import LATCHED_QOS, param, parse_views, run_node
from jepa_wm_ros.conversions import PLAN_TOPIC, read_plan, rgb_to_msg
from planners.subgoals import SubgoalBudget, SubgoalSequencer


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
        self.budget = SubgoalBudget(  # 0 = off, as the launch arguments say
            switch_energy=float(param(self, "energy_threshold", 0.0)) or None,
            steps_per_subgoal=int(param(self, "steps_per_subgoal", 0)) or None,
            max_steps=int(param(self, "max_steps", 0)) or None,
            timeout_s=float(param(self, "subgoal_timeout_s", 20.0)),
        )
        self.seq: SubgoalSequencer[np.ndarray] | None = None  # this episode's subgoals
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
        self.create_subscription(JointState, PLAN_TOPIC, self.on_plan, 10)
        self.reset_cli = self.create_client(Trigger, param(self, "reset_service", "/sim/reset"))
        self.success_cli = self.create_client(
            Trigger, param(self, "success_service", "/sim/success")
        )
        self.env = None
        self.episode, self.seed = -1, None
        self.subgoal_states: list[np.ndarray] = []
        self.phase = "start"
        self.pending = None
        self.results: list[dict] = []
        self.create_timer(0.25, self.tick)

    @property
    def index(self) -> int:
        """The active subgoal's index (0 before the first episode)."""
        return 0 if self.seq is None else self.seq.index

    def on_plan(self, msg: JointState) -> None:
        """A plan toward the published subgoal is one sequencer step; advance if it says so."""
        try:
            goal, energy = read_plan(msg)
        except ValueError as exc:
            self.get_logger().error(f"ignoring {PLAN_TOPIC}: {exc}", throttle_duration_sec=5.0)
            return
        if self.seq is None or self.phase not in ("run", "checking") or goal != self.goal_id():
            return  # a plan toward an earlier subgoal or episode
        if self.seq.step(energy):
            self.publish_goal()

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
        self.goal_pub.publish(rgb_to_msg(self.seq.goal, now, self.goal_id()))
        self.get_logger().info(
            f"episode {self.episode}: subgoal {self.index + 1}/{len(self.seq.goals)}"
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
        self.seq = SubgoalSequencer(self.load_subgoals(), self.budget)
        self.episode_pub.publish(Int32(data=self.episode))
        self.publish_goal()
        self.phase, self.pending = "run", None

    def run(self) -> None:
        """Each tick: a subgoal past its time advances (plan budgets advance in ``on_plan``);
        on the last one, ask the sim for success, or end a spent episode."""
        if self.seq.poll():
            self.publish_goal()
        elif self.seq.is_last and self.mode == "sim":
            self.pending, self.phase = self.success_cli.call_async(Trigger.Request()), "checking"
            self.last_timed_out = self.seq.exhausted()
        elif self.seq.is_last and self.seq.exhausted():
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
