"""recorder_node: records ROS 2 topics into a real rosbag2 (mcap by default), like ``ros2 bag record``.

Subscribes generically: each configured topic is subscribed once it appears in the graph, with its
advertised type and ``raw=True``, so messages are written as the serialized CDR bytes they arrived
as (no decode/re-encode). QoS follows the publishers (reliable only if all of them are).

Services   ~/start_episode, ~/stop_episode (std_srvs/Trigger): record a std_msgs/Bool on
           ``marker_topic`` (true = start, false = stop); ``jepa-wm bag2zarr`` splits on it with
           ``episodes: {split: marker, marker_topic: /episode_marker}``.
Parameters output (bag directory, must not exist), topics (list), storage (mcap | sqlite3),
           flush_period (s: completed data is fsync'ed this often, so a SIGKILL loses at most
           this much), marker_topic, start_episode (mark a start as soon as recording begins).
Prints     ``RECORDER_SUBSCRIBED <topic> <type>`` per topic and ``RECORDER_DONE {json}`` on exit.

SIGINT/SIGTERM close the bag cleanly (footer, metadata.yaml). After SIGKILL the bag has no
metadata.yaml and no mcap footer; ``jepa-wm bag2zarr`` still reads every flushed chunk.

    ros2 run jepa_wm_ros recorder_node --ros-args -p output:=/tmp/run1 \\
        -p topics:="['/camera/image_raw', '/joint_states']"
"""

from __future__ import annotations

import importlib
import json
import sys
import time

from rclpy.node import Node
from rclpy.qos import QoSDurabilityPolicy, QoSProfile, QoSReliabilityPolicy
from std_srvs.srv import Trigger

from jepa_wm.bags.recorder import MARKER_TOPIC, BagRecorder
from jepa_wm_ros.common import param, run_node

DEFAULT_TOPICS = [
    "/camera/image_raw",
    "/camera/camera_info",
    "/joint_states",
    "/arm_controller/joint_trajectory",
    "/gripper_controller/command",
    "/cmd_vel",
    "/odom",
]


def _msg_class(msgtype: str):  # -> a generated rosidl class
    pkg, kind, name = msgtype.split("/")
    return getattr(importlib.import_module(f"{pkg}.{kind}"), name)


class RecorderNode(Node):
    """Subscribes to ``topics`` as they appear and writes every message to the bag."""

    def __init__(self) -> None:
        super().__init__("recorder")
        out = str(param(self, "output", "")) or time.strftime("rosbag2_%Y_%m_%d-%H_%M_%S")
        self.wanted = [str(t) for t in param(self, "topics", DEFAULT_TOPICS)]
        storage = str(param(self, "storage", "mcap"))
        flush = float(param(self, "flush_period", 0.5))
        marker = str(param(self, "marker_topic", MARKER_TOPIC))
        self.rec = BagRecorder(out, storage=storage, marker_topic=marker)
        self.subs: dict[str, object] = {}
        self.episodes = 0
        self.create_timer(0.2, self.discover)
        self.create_timer(flush, self.rec.flush)
        self.create_service(Trigger, "~/start_episode", self.on_start)
        self.create_service(Trigger, "~/stop_episode", self.on_stop)
        if str(param(self, "start_episode", False)).lower() in ("true", "1"):
            self._mark(True)
        self.get_logger().info(f"recording {self.wanted} to {out} ({storage})")

    def discover(self) -> None:
        """Subscribe to wanted topics that have appeared since the last look."""
        for topic, types in self.get_topic_names_and_types():
            if topic not in self.wanted or topic in self.subs or not types:
                continue
            msgtype = types[0]
            if not self.rec.add_topic(topic, msgtype):
                self.get_logger().warning(f"{topic}: type {msgtype} unknown to rosbags; skipped")
                self.subs[topic] = None
                continue
            self.subs[topic] = self.create_subscription(
                _msg_class(msgtype),
                topic,
                lambda data, info, t=topic: self.rec.write(t, self._log_ns(info), data),
                self._qos(topic),
                raw=True,
            )
            print(f"RECORDER_SUBSCRIBED {topic} {msgtype}", flush=True)

    def _qos(self, topic: str) -> QoSProfile:
        infos = self.get_publishers_info_by_topic(topic)
        reliable = bool(infos) and all(
            i.qos_profile.reliability == QoSReliabilityPolicy.RELIABLE for i in infos
        )
        latched = bool(infos) and all(
            i.qos_profile.durability == QoSDurabilityPolicy.TRANSIENT_LOCAL for i in infos
        )
        return QoSProfile(
            depth=100,
            reliability=QoSReliabilityPolicy.RELIABLE
            if reliable
            else QoSReliabilityPolicy.BEST_EFFORT,
            durability=QoSDurabilityPolicy.TRANSIENT_LOCAL
            if latched
            else QoSDurabilityPolicy.VOLATILE,
        )

    def _log_ns(self, info: dict) -> int:
        """Log time of a message: when the middleware received it (as rosbag2 records), so a
        busy executor cannot reorder messages of different topics; with use_sim_time the node
        clock (/clock) instead."""
        if self.get_parameter("use_sim_time").value:
            return self._now_ns()
        return int(info.get("received_timestamp") or 0) or self._now_ns()

    def _now_ns(self) -> int:
        # receive time on the node clock: system time, or /clock with use_sim_time:=true (as
        # rosbag2 records with --use-sim-time)
        return self.get_clock().now().nanoseconds

    def _mark(self, start: bool) -> None:
        self.rec.mark_episode(start, self._now_ns())
        self.rec.flush()
        self.episodes += int(start)

    def on_start(self, _req: Trigger.Request, res: Trigger.Response) -> Trigger.Response:
        self._mark(True)
        res.success, res.message = True, f"episode {self.episodes - 1} started"
        return res

    def on_stop(self, _req: Trigger.Request, res: Trigger.Response) -> Trigger.Response:
        was_open = self.rec.episode_open
        self._mark(False)
        res.success = was_open
        res.message = f"episode {self.episodes - 1} stopped" if was_open else "no episode open"
        return res

    def summary(self) -> dict:
        return {"bag": str(self.rec.path), "episodes": self.episodes, "messages": self.rec.counts}

    def destroy_node(self) -> None:
        # Once, after the spin loop stopped (no callback can write now); safe on a half-built node.
        if getattr(self, "rec", None) is not None:
            self.rec.close()
            print(f"RECORDER_DONE {json.dumps(self.summary())}", flush=True)
            self.rec = None
        super().destroy_node()


def main(args: list[str] | None = None) -> int:
    """Spin until SIGINT/SIGTERM, then close the bag (footer + metadata.yaml) in destroy_node.

    run_node's signal handling matters here: rclpy's own handler shut the context down under a
    running ``discover`` graph query, which then failed ("rcl node's context is invalid").
    """
    return run_node(RecorderNode, args)


if __name__ == "__main__":
    sys.exit(main())
