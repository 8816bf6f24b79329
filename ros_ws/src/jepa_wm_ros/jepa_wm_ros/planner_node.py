"""planner_node (lifecycle): world model + latent MPC -> ee-delta (or v, omega) actions.

configure: loads the checkpoint (jepa_wm.models.checkpoint.load_world_model) and the planner
           config into a jepa_wm.app.policy.WorldModelPolicy (``policy`` names a task whose
           policy file, jepa_wm/configs/policy/<task>.yaml, the one `jepa-wm eval` uses, is the
           base; ``planner_config`` an override YAML over it; ``planner`` a planner name: see
           jepa_wm.app.policy_files.load_node_policy_config), whose action names and bounds
           come from the robot description (``robot``: hardware/robots/<robot>.yaml), the
           bounds narrowed to the action range the model was trained on
           (jepa_wm.app.action_bounds: the range eval plans within), then
           creates the publishers and subscriptions (as ros2/demos' lifecycle talker does).
           activate: starts the planning thread and enables the publishers. deactivate: stops
           both. cleanup / shutdown: destroys the publishers and subscriptions and the policy.
Plans on frame arrival: each camera frame wakes a planning thread (the executor keeps taking
           messages meanwhile); frames that arrive while a plan runs are dropped and counted (a
           queued frame would wait up to a whole plan), so every plan starts on a fresh frame.
           With ``planner.options.deadline_ms`` in the planner config the deadline runs from
           the frame's ARRIVAL: the anytime planner stops iterating in time, and a frame too old to plan one iteration in time is dropped (counted) for the
           next one, so a loaded CPU lowers plan quality instead of stalling the robot.
Subscribes /camera/image_raw (sensor-data QoS, keep last 1; rgb8/bgr8/rgba8/bgra8/mono8 are
           converted; a refused frame is logged with its reason, rate-limited per reason),
           /ee_state (JointState, the 7-D state from the arm adapter's FK; /odom-derived for a
           base), /goal/image (latched),
           /goal/state (JointState, latched, optional: used with the goal image of the same
           frame_id when the planner config has a state term and its ``goal`` is image+state;
           the ``goal`` parameter, image or image+state, overrides the config's),
           /task/episode (Int32: a new episode resets the history). A model of several views
           (ModelConfig.views, e.g. rgb + rgb_wrist) also subscribes /<cam>_camera/image_raw and
           the latched /goal/<cam>_image of each extra view; each camera frame is paired with
           the other views' frames of the same stamp (the nearest within ``pair_tolerance_s``,
           waited for up to that long), and nothing is planned without all of them.
Publishes  /planner/action (JointState named after the action, stamped with the camera frame's
           stamp), /planner/energy (JointState ("energy",), frame_id the goal id: one per plan,
           what the task node's subgoal sequencer counts; conversions.plan_msg), /diagnostics
           (plan and step ms, the frame's receive / wait / publish ms, energy, goal id, step,
           iterations, frames dropped while planning / too old for the deadline; for people
           and probes).
No action is ever guessed: nothing is published until camera, state and goal are all present and
camera and state are younger than ``stale_s`` (hardware.adapters.Watchdog).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from functools import partial

import numpy as np
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Int32

from hardware.adapters import Watchdog
from hardware.interfaces import Observation
from hardware.limits import load_robot
from jepa_wm_ros.common import LATCHED_QOS, SENSOR_QOS, param, run_node
from jepa_wm_ros.conversions import PLAN_TOPIC, ImageRefusals, plan_msg, stamp_sec, vector_msg

FRESH_INPUTS = ("camera", "state")  # must be younger than stale_s; the goal is latched


class PlannerNode(LifecycleNode):
    def __init__(self) -> None:
        super().__init__("planner_node")
        self.checkpoint = param(self, "checkpoint", "")
        self.policy_name = param(self, "policy", "")  # a task's policy file ("" = none)
        self.planner_config = param(self, "planner_config", "")  # an override file over it
        self.planner_name = param(self, "planner", "")  # "" = the config's (default cem)
        self.goal_mode = param(self, "goal", "")  # "" = the planner config's
        self.device = param(self, "device", "cpu")
        self.robot = param(self, "robot", "panda")
        self.stale_s = float(param(self, "stale_s", 0.5))
        self.pair_tolerance_s = float(param(self, "pair_tolerance_s", 0.05))
        self.extra_views: tuple[str, ...] = ()  # camera names beyond the main one (configure)
        self.view_frames: dict[str, deque] = {}  # cam -> recent (stamp s, rgb)
        self.goal_views: dict[str, tuple[str, np.ndarray]] = {}  # cam -> (goal id, rgb)
        self.policy = None
        self.timer = None
        self.worker: threading.Thread | None = None
        self.wake = threading.Condition()
        self.pending: tuple[float, np.ndarray, object] | None = None  # (arrival, rgb, stamp)
        self.running = False
        self.planning = False
        self.policy_lock = threading.Lock()  # the planning thread vs episode resets
        self.dropped = {"while_planning": 0, "past_deadline": 0, "unpaired": 0}
        self.iteration_s = 0.0  # running mean s per planner iteration (whole step / iterations)
        self.watchdog = Watchdog(FRESH_INPUTS, self.stale_s)  # fed by on_image / on_state
        self.state: np.ndarray | None = None  # the latest /ee_state
        self.goal: np.ndarray | None = None  # the latest /goal/image (this episode's)
        self.goal_id = ""
        self.goal_states: dict[str, np.ndarray] = {}  # goal id -> goal proprio state
        self.refusals = ImageRefusals(self.get_logger().error)  # rate-limited per reason
        self.waiting_logged = ""
        self.steps = 0
        self.action_names: tuple[str, ...] = ()  # the robot description's (configure)
        self.action_pub = None  # publishers and subscriptions exist from configure to cleanup
        self.diag_pub = None
        self.plan_pub = None
        self.io_subs: list = []
        if bool(param(self, "autostart", True)):  # no lifecycle manager here: go to active
            self.trigger_configure()
            if self.policy is not None:
                self.trigger_activate()

    # -- lifecycle ------------------------------------------------------------------------------
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Load the model, planner and robot description, then create the publishers and
        subscriptions. SUCCESS -> inactive; FAILURE (bad checkpoint, config or robot; logged,
        nothing created) -> unconfigured."""
        # Heavy and only needed here: torch and the model stack load when configuring.
        import torch

        from jepa_wm.app.action_bounds import planning_bounds, trained_action_bounds
        from jepa_wm.app.policy import WorldModelPolicy
        from jepa_wm.app.policy_files import load_node_policy_config
        from jepa_wm.errors import JepaWmError
        from jepa_wm.models.checkpoint import load_world_model

        torch.set_num_threads(int(param(self, "torch_threads", 1)))
        try:
            spec = load_robot(self.robot).action_spec()  # names and bounds from the YAML
            model = load_world_model(self.checkpoint, device=self.device)
            # the robot's bounds, narrowed to the actions the model was trained on
            low, high = planning_bounds(spec.low, spec.high, trained_action_bounds(self.checkpoint))
            cfg = load_node_policy_config(
                self.policy_name, self.planner_config, self.planner_name, self.goal_mode
            )
            self.policy = WorldModelPolicy.from_config(model, cfg, low, high, device=self.device)
        except (JepaWmError, ValueError) as exc:
            self.get_logger().error(f"configure failed: {exc}")
            return TransitionCallbackReturn.FAILURE
        self.action_names = spec.names
        self.extra_views = tuple(v[len("rgb_") :] for v in self.policy.views[1:])
        self.create_io()
        self.get_logger().info(
            f"loaded {self.checkpoint} with planner {cfg.planner.name}, goal {cfg.goal}"
        )
        return super().on_configure(state)

    def create_io(self) -> None:
        """The publishers (lifecycle-managed: they publish only while active) and subscriptions,
        including each extra view's camera and goal topics."""
        self.action_pub = self.create_lifecycle_publisher(JointState, "/planner/action", 10)
        self.diag_pub = self.create_lifecycle_publisher(DiagnosticArray, "/diagnostics", 10)
        # one report per plan: what task_node's subgoal sequencer counts
        self.plan_pub = self.create_lifecycle_publisher(JointState, PLAN_TOPIC, 10)
        subs = [
            (Image, "/camera/image_raw", self.on_image, SENSOR_QOS),
            (JointState, "/ee_state", self.on_state, 10),
            (Image, "/goal/image", self.on_goal, LATCHED_QOS),
            (JointState, "/goal/state", self.on_goal_state, LATCHED_QOS),
            (Int32, "/task/episode", self.on_episode, LATCHED_QOS),
        ]
        for cam in self.extra_views:
            self.view_frames[cam] = deque(maxlen=8)
            subs.append((Image, f"/{cam}_camera/image_raw", partial(self.on_view, cam), SENSOR_QOS))
            subs.append((Image, f"/goal/{cam}_image", partial(self.on_goal_view, cam), LATCHED_QOS))
        self.io_subs = [self.create_subscription(*sub) for sub in subs]
        # no frame, no plan: this 1 Hz check says what planning waits for (it plans nothing)
        self.timer = self.create_timer(1.0, self.tick_waiting)

    def release_io(self) -> None:
        """Destroy what configure created and forget every input (the next configure starts
        from nothing, as a freshly started node does)."""
        if self.timer is not None:
            self.destroy_timer(self.timer)
            self.timer = None
        for sub in self.io_subs:
            self.destroy_subscription(sub)
        self.io_subs = []
        for pub in (self.action_pub, self.diag_pub, self.plan_pub):
            if pub is not None:
                self.destroy_lifecycle_publisher(pub)
        self.action_pub = self.diag_pub = self.plan_pub = None
        self.policy = None
        self.state = self.goal = None
        self.watchdog = Watchdog(FRESH_INPUTS, self.stale_s)
        self.goal_id, self.goal_states, self.goal_views = "", {}, {}
        self.view_frames, self.extra_views = {}, ()

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Enable the publishers, then start the planning thread. SUCCESS -> active."""
        result = super().on_activate(state)
        self.running = True
        self.worker = threading.Thread(target=self.plan_loop, name="planner", daemon=True)
        self.worker.start()
        return result

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Stop the planning thread (no plan runs after it returns), then disable the
        publishers. SUCCESS -> inactive."""
        self.stop_worker()
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Destroy the publishers, subscriptions and policy. SUCCESS -> unconfigured."""
        self.release_io()
        return super().on_cleanup(state)

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        """From any primary state: stop planning and destroy what configure created.
        SUCCESS -> finalized."""
        self.stop_worker()
        self.release_io()
        return super().on_shutdown(state)

    def stop_worker(self) -> None:
        with self.wake:
            self.running = False
            self.wake.notify_all()
        if self.worker is not None:
            self.worker.join(timeout=10.0)
            self.worker = None

    def destroy_node(self) -> None:
        self.stop_worker()  # no plan may publish during teardown
        super().destroy_node()

    # -- inputs ---------------------------------------------------------------------------------
    def on_image(self, msg: Image) -> None:
        age = self.get_clock().now().nanoseconds * 1e-9 - stamp_sec(msg.header.stamp)
        rgb = self.refusals.decode(msg, "/camera/image_raw")
        if rgb is not None:
            self.watchdog.feed("camera")
            with self.wake:
                if self.planning:  # plan on arrival: a frame that finds a plan running is dropped
                    self.dropped["while_planning"] += 1
                    return
                if self.pending is not None:  # not picked up yet: the latest frame wins
                    self.dropped["while_planning"] += 1
                self.pending = (time.perf_counter(), rgb, msg.header.stamp, age)
                self.wake.notify()

    def on_view(self, cam: str, msg: Image) -> None:
        rgb = self.refusals.decode(msg, f"/{cam}_camera/image_raw")
        if rgb is not None:
            with self.wake:
                self.view_frames[cam].append((stamp_sec(msg.header.stamp), rgb))
                self.wake.notify_all()

    def on_goal_view(self, cam: str, msg: Image) -> None:
        rgb = self.refusals.decode(msg, f"/goal/{cam}_image")
        if rgb is not None:
            self.goal_views[cam] = (msg.header.frame_id, rgb)

    def paired_views(self, stamp: float) -> dict[str, np.ndarray] | None:
        """Each extra view's frame nearest ``stamp`` within pair_tolerance_s (waiting up to that
        long for a late one), or None when a view has none."""
        tol = self.pair_tolerance_s

        def nearest(cam: str) -> np.ndarray | None:
            best = min(self.view_frames[cam], key=lambda f: abs(f[0] - stamp), default=None)
            return best[1] if best is not None and abs(best[0] - stamp) <= tol else None

        with self.wake:
            self.wake.wait_for(
                lambda: all(nearest(c) is not None for c in self.extra_views), timeout=tol
            )
            views = {cam: nearest(cam) for cam in self.extra_views}
        return None if any(v is None for v in views.values()) else views

    def goal_frames(self) -> np.ndarray | None:
        """The current goal's image, with its other views stacked ([V,H,W,3]) for a multi-view
        model; None while a view of this goal id has not arrived."""
        main = self.goal
        if main is None or not self.extra_views:
            return main
        views = [self.goal_views.get(cam) for cam in self.extra_views]
        if any(v is None or v[0] != self.goal_id for v in views):
            return None
        return np.stack([main, *(v[1] for v in views)])

    def on_state(self, msg: JointState) -> None:
        self.state = np.array(msg.position, dtype=np.float32)
        self.watchdog.feed("state")

    def on_goal(self, msg: Image) -> None:
        rgb = self.refusals.decode(msg, "/goal/image")
        if rgb is not None:
            self.goal = rgb
            self.goal_id = msg.header.frame_id

    def on_goal_state(self, msg: JointState) -> None:
        state = np.array(msg.position, dtype=np.float32)
        if np.all(np.isfinite(state)):  # a NaN goal is refused, never planned toward
            self.goal_states = {msg.header.frame_id: state}
        else:
            self.get_logger().error(f"refusing goal state {msg.header.frame_id}: not finite")

    def on_episode(self, msg: Int32) -> None:
        if self.policy is not None:
            with self.policy_lock:
                self.policy.reset()
        if not self.goal_id.startswith(f"ep{msg.data}/"):  # a goal of an earlier episode
            self.goal = None
        self.get_logger().info(f"episode {msg.data}: history reset")

    # -- control --------------------------------------------------------------------------------
    def _missing(self) -> str:
        """The first missing input: "no camera yet", "state stale", ... ("" when all are in)."""
        stale = self.watchdog.stale()
        for name in FRESH_INPUTS:
            if self.watchdog.last(name) is None:
                return f"no {name} yet"
            if name in stale:
                return f"{name} stale"
        return "no goal yet" if self.goal is None else ""

    def tick_waiting(self) -> None:
        """The 1 Hz timer: while active, log what planning waits for."""
        if self.running:
            self.log_waiting()

    def log_waiting(self) -> str:
        """What planning waits for ("" if nothing), logged once per change."""
        missing = self._missing()
        if missing and missing != self.waiting_logged:
            self.get_logger().warn(f"not planning: {missing}")
        self.waiting_logged = missing
        return missing

    def plan_loop(self) -> None:
        """The planning thread: plan each newest frame as it arrives, until deactivated."""
        while True:
            with self.wake:
                self.wake.wait_for(lambda: self.pending is not None or not self.running)
                if not self.running:
                    return
                frame, self.pending = self.pending, None
                self.planning = True
            try:
                self.step(*frame)
            except Exception as exc:  # a planning error must not kill the thread silently
                self.get_logger().error(f"planning failed: {exc!r}")
            finally:
                with self.wake:
                    self.planning = False

    def deadline_s(self) -> float | None:
        """The planner config's deadline_ms in seconds (None: plan every iteration)."""
        ms = getattr(self.policy.planner.config, "deadline_ms", None)
        return None if ms is None else float(ms) / 1e3

    def step(self, arrival: float, rgb: np.ndarray, stamp: Time, age: float) -> None:
        """Plan on frame ``rgb`` (received at perf_counter ``arrival``, ``age`` s after its
        stamp by this node's clock) and publish the action."""
        start = time.perf_counter()
        if self.log_waiting():
            return
        deadline = self.deadline_s()
        end = None if deadline is None else arrival + deadline
        # too old to plan one iteration in time: the next frame will be (only while a fresh
        # frame can be: if one iteration takes the whole budget, plan late rather than never)
        est = self.iteration_s
        if end is not None and 0 < est < deadline and time.perf_counter() + est > end:
            self.dropped["past_deadline"] += 1
            return
        state = self.state
        images = self.paired_views(stamp_sec(stamp)) if self.extra_views else {}
        goal = self.goal_frames()
        if images is None or goal is None:
            what = "camera views paired with" if images is None else "goal views for"
            self.dropped["unpaired"] += 1
            self.get_logger().warn(
                f"not planning on frame {stamp_sec(stamp):.3f}: no {what} it "
                f"({', '.join(self.extra_views)})",
                throttle_duration_sec=5.0,
            )
            return
        with self.policy_lock:
            self.policy.set_goal(goal, self.goal_states.get(self.goal_id))
            obs = Observation(rgb=rgb, state=state, timestamp=stamp_sec(stamp), images=images)
            action = self.policy(obs, None, deadline=end)
            info = dict(self.policy.last_info)
        planned = time.perf_counter()
        self.action_pub.publish(vector_msg(self.action_names, action, stamp))
        info["publish_ms"] = (time.perf_counter() - planned) * 1e3  # the policy's return -> sent
        info["wait_ms"] = (start - arrival) * 1e3  # frame arrival -> planning thread on it
        info["receive_ms"] = age * 1e3  # camera stamp -> arrival (this node's clock)
        self.plan_pub.publish(plan_msg(self.goal_id, float(info.get("energy", 0.0)), stamp))
        if self.steps > 0:  # the first step also encodes the goal and warms up
            per = info["step_ms"] / 1e3 / max(1, int(info.get("iterations_done", 1)))
            self.iteration_s = per if self.iteration_s == 0 else 0.5 * (self.iteration_s + per)
        self.steps += 1
        self.publish_diagnostics(stamp, info)

    def publish_diagnostics(self, stamp: Time, info: dict) -> None:
        info = {k: (v.item() if hasattr(v, "item") else v) for k, v in info.items()}
        values = {
            "plan_ms": info.get("plan_ms", info.get("step_ms", 0.0)),
            "step_ms": info.get("step_ms", 0.0),
            "wait_ms": info.get("wait_ms", 0.0),
            "receive_ms": info.get("receive_ms", 0.0),
            "publish_ms": info.get("publish_ms", 0.0),
            "energy": info.get("energy", 0.0),
            "goal": self.goal_id,
            "step": self.steps,
            "camera_stamp": f"{stamp_sec(stamp):.6f}",
            "iterations": info.get("iterations_done", 0),
            "deadline_hit": info.get("deadline_hit", False),
            "dropped_while_planning": self.dropped["while_planning"],
            "dropped_past_deadline": self.dropped["past_deadline"],
            "dropped_unpaired": self.dropped["unpaired"],
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
