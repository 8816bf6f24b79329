"""Messages <-> numpy. Images go through hardware.image_codec (encodings checked there)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import numpy as np
from builtin_interfaces.msg import Time
from sensor_msgs.msg import CameraInfo, Image, JointState

from hardware.image_codec import image_msg_to_rgb, rgb_to_image_fields


def stamp_sec(stamp: Time) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


def rgb_to_msg(rgb: np.ndarray, stamp: Time, frame_id: str, encoding: str = "rgb8") -> Image:
    """(H, W, 3) uint8 -> sensor_msgs/Image."""
    msg = Image(**rgb_to_image_fields(rgb, encoding))
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    return msg


def msg_to_rgb(msg: Image) -> np.ndarray:
    """sensor_msgs/Image -> (H, W, 3) uint8 RGB; ImageEncodingError for unsupported encodings."""
    return image_msg_to_rgb(bytes(msg.data), msg.encoding, msg.height, msg.width, msg.step)


def camera_info_msg(
    k: np.ndarray, width: int, height: int, stamp: Time, frame_id: str
) -> CameraInfo:
    """Pinhole CameraInfo without distortion from K (3, 3)."""
    msg = CameraInfo(width=int(width), height=int(height), distortion_model="plumb_bob")
    msg.header.stamp, msg.header.frame_id = stamp, frame_id
    msg.k = [float(v) for v in np.asarray(k).reshape(-1)]
    msg.d = [0.0] * 5
    msg.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    p = np.zeros((3, 4))
    p[:, :3] = k
    msg.p = [float(v) for v in p.reshape(-1)]
    return msg


def vector_msg(names: tuple[str, ...] | list[str], values: np.ndarray, stamp: Time) -> JointState:
    """A named, stamped vector (the planner's action; the ee state) as a JointState.

    JointState is the standard named + stamped float vector (Isaac Sim's /joint_command uses it);
    the stamp is the camera frame the values were computed from, so latency can be measured.
    """
    msg = JointState(name=list(names), position=[float(v) for v in np.asarray(values).reshape(-1)])
    msg.header.stamp = stamp
    return msg


# One plan's report from the planner node to the task node's subgoal sequencer
# (planners.subgoals): a JointState named ("energy",) on PLAN_TOPIC, frame_id = the goal id the
# plan aimed at (the /goal/image frame_id), stamped with the camera frame it planned from.
PLAN_TOPIC = "/planner/energy"
PLAN_FIELDS = ("energy",)


def plan_msg(goal_id: str, energy: float, stamp: Time) -> JointState:
    """The report of one plan toward ``goal_id`` from a frame whose energy to it was ``energy``."""
    msg = vector_msg(PLAN_FIELDS, np.array([energy], dtype=np.float64), stamp)
    msg.header.frame_id = goal_id
    return msg


def read_plan(msg: JointState) -> tuple[str, float]:
    """(goal id, energy) of a ``plan_msg``; ValueError for a JointState of another layout."""
    if tuple(msg.name) != PLAN_FIELDS or len(msg.position) != len(PLAN_FIELDS):
        raise ValueError(f"a plan report is named {PLAN_FIELDS}, got {tuple(msg.name)}")
    return msg.header.frame_id, float(msg.position[0])


def refusal_reason(error: str) -> str:
    """The kind of an image refusal: its message with the numbers blanked.

    '16UC1 image 4x4 needs 32 bytes' and '... 8x8 needs 128 bytes' are one reason, so a stream
    of the same defect is one rate-limited line, while a new defect is logged at once.
    """
    return re.sub(r"\d+", "#", error)


class ImageRefusals:
    """Decode images, logging every refused one with its reason, rate-limited per reason.

    The first refusal of a reason is logged at once; later ones of the same reason at most
    every ``period_s`` seconds, with the count suppressed since. ``log`` gets one line each.
    """

    def __init__(
        self,
        log: Callable[[str], None],
        period_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log, self.period_s, self.clock = log, float(period_s), clock
        self._last: dict[str, float] = {}  # reason -> time of its last log line
        self._suppressed: dict[str, int] = {}
        self.counts: dict[str, int] = {}  # reason -> refused frames in total

    def decode(self, msg: Image, topic: str) -> np.ndarray | None:
        """(H, W, 3) uint8 writable RGB of ``msg``, or None after logging why it was refused."""
        try:
            return np.array(msg_to_rgb(msg))  # a writable copy: torch warns on read-only arrays
        except ValueError as exc:  # hardware.image_codec.ImageEncodingError
            self.refuse(topic, str(exc))
            return None

    def refuse(self, topic: str, error: str) -> None:
        """Count a refused frame on ``topic``; log it unless its reason logged < period_s ago."""
        reason = f"{topic}: {refusal_reason(error)}"
        self.counts[reason] = self.counts.get(reason, 0) + 1
        now = self.clock()
        last = self._last.get(reason)
        if last is not None and now - last < self.period_s:
            self._suppressed[reason] = self._suppressed.get(reason, 0) + 1
            return
        more = self._suppressed.pop(reason, 0)
        since = f" ({more} more since the last such line)" if more else ""
        self._last[reason] = now
        self.log(f"refusing image on {topic}: {error}{since}")
