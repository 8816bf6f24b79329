"""Turn decoded ROS 2 messages (rosbags dataclasses) into numbers; no ROS install needed.

Each extractor returns plain floats/arrays; callers decide about time bases and syncing.
"""

from __future__ import annotations

import struct

import numpy as np

from hardware.image_codec import ImageEncodingError, compressed_to_rgb, image_msg_to_rgb
from jepa_wm.errors import BagError

IMAGE_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")
JOINT_STATE = "sensor_msgs/msg/JointState"
POSE_STAMPED = "geometry_msgs/msg/PoseStamped"
ODOMETRY = "nav_msgs/msg/Odometry"
ARRAY_TYPES = ("std_msgs/msg/Float64MultiArray", "std_msgs/msg/Float32MultiArray")
COMMAND_TYPES = (
    "trajectory_msgs/msg/JointTrajectory",
    "geometry_msgs/msg/Twist",
    "geometry_msgs/msg/TwistStamped",
    *ARRAY_TYPES,
)
MARKER_TYPES = ("std_msgs/msg/Bool", "std_msgs/msg/String")
START_WORDS = ("start", "begin", "episode_start")
STOP_WORDS = ("stop", "end", "episode_end")


def header_stamp_ns(raw: bytes | memoryview) -> int:
    """Header stamp of a CDR message whose first field is ``std_msgs/Header`` (Image,
    CompressedImage, JointState, ...), read without deserialising the rest (pixels stay put).

    CDR starts with a 4-byte encapsulation header; byte 1 is 1 for little endian.
    """
    endian = "<" if raw[1] == 1 else ">"
    sec, nsec = struct.unpack_from(endian + "iI", raw, 4)
    return sec * 1_000_000_000 + nsec


class _Cdr:
    """Minimal CDR cursor (alignment is relative to the payload after the 4-byte header)."""

    def __init__(self, raw: bytes | memoryview) -> None:
        self.buf = memoryview(raw)
        self.end = "<" if self.buf[1] == 1 else ">"
        self.pos = 4

    def u32(self) -> int:
        self.pos += (-(self.pos - 4)) % 4
        (v,) = struct.unpack_from(self.end + "I", self.buf, self.pos)
        self.pos += 4
        return v

    def u8(self) -> int:
        self.pos += 1
        return self.buf[self.pos - 1]

    def string(self) -> str:
        n = self.u32()
        self.pos += n
        return bytes(self.buf[self.pos - n : self.pos - 1]).decode()  # drop the NUL

    def blob(self) -> memoryview:
        n = self.u32()
        if self.pos + n > len(self.buf):
            raise ValueError("CDR sequence overruns the message")
        self.pos += n
        return self.buf[self.pos - n : self.pos]


def fast_image_to_rgb(raw: bytes | memoryview, msgtype: str) -> np.ndarray:
    """Like ``image_to_rgb`` but straight from CDR bytes, without copying the pixels into a
    message object first (the converter's hot path). Layout: Header (stamp, frame_id), then
    Image: height, width, encoding, is_bigendian, step, data; CompressedImage: format, data."""
    c = _Cdr(raw)
    c.u32(), c.u32(), c.string()  # stamp sec, nanosec, frame_id
    try:
        if msgtype == "sensor_msgs/msg/CompressedImage":
            fmt = c.string()
            return compressed_to_rgb(c.blob(), fmt)
        height, width, encoding = c.u32(), c.u32(), c.string()
        c.u8()  # is_bigendian: irrelevant for 8-bit encodings
        step = c.u32()
        return image_msg_to_rgb(c.blob(), encoding, height, width, step)
    except ImageEncodingError as exc:
        raise BagError(f"camera image: {exc}") from None


def msg_stamp_ns(msg: object) -> int:
    """``msg.header.stamp`` in integer nanoseconds."""
    st = msg.header.stamp  # type: ignore[attr-defined]
    return int(st.sec) * 1_000_000_000 + int(st.nanosec)


def image_to_rgb(msg: object, msgtype: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a decoded Image or CompressedImage; BagError if unsupported."""
    try:
        if msgtype == "sensor_msgs/msg/CompressedImage":
            return compressed_to_rgb(msg.data, msg.format)  # type: ignore[attr-defined]
        return image_msg_to_rgb(
            msg.data,  # type: ignore[attr-defined]
            msg.encoding,  # type: ignore[attr-defined]
            msg.height,  # type: ignore[attr-defined]
            msg.width,  # type: ignore[attr-defined]
            msg.step,  # type: ignore[attr-defined]
        )
    except ImageEncodingError as exc:
        raise BagError(f"camera image: {exc}") from None


class JointPicker:
    """Picks the configured joints, in the configured order, from JointState messages whose
    name order may differ from message to message, merging messages that each carry some of
    them (an arm and a gripper publishing separately: ``hardware.joint_merge``)."""

    def __init__(
        self, joints: tuple[str, ...], fields: tuple[str, ...], topic: str, max_age_s: float
    ) -> None:
        from hardware.joint_merge import JointStateMerger

        self.joints, self.fields, self.topic = joints, fields, topic
        self.merger = JointStateMerger(joints, max_age_s)
        self.complete = 0  # merged vectors returned

    def names(self) -> list[str]:
        """Feature names, joint-major: ``j`` for positions, ``j.velocity``, ``j.effort``."""
        return [j if f == "position" else f"{j}.{f}" for j in self.joints for f in self.fields]

    def __call__(self, msg: object, stamp_ns: int) -> np.ndarray | None:
        """(len(joints) * len(fields),) float64 once every joint is known (merged over
        messages), or None (incomplete so far, or a field empty in this message)."""
        names = list(msg.name)  # type: ignore[attr-defined]
        cols = []
        for f in self.fields:
            arr = np.asarray(getattr(msg, f), np.float64)
            if arr.size < len(names):
                return None
            cols.append(arr[: len(names)])
        merged = self.merger.update(names, np.stack(cols, axis=1), stamp_ns / 1e9)
        if merged is None:
            return None
        self.complete += 1
        return merged.reshape(-1)

    def check(self, path: object) -> None:
        """BagError if no complete joint vector was ever assembled, naming what is missing."""
        if self.complete:
            return
        missing = self.merger.missing()
        seen = sorted(self.merger.seen)
        if missing:
            raise BagError(
                f"{path}: {self.topic}: joint(s) {missing} appear in no JointState message "
                f"(names seen: {seen}); fix state.joints in the config"
            )
        raise BagError(
            f"{path}: {self.topic}: the joints {list(self.joints)} never have values less than "
            f"{self.merger.max_age_s} s apart (state.merge_max_age)"
        )


def pose_xyzquat(msg: object) -> np.ndarray:
    """(7,) x y z qx qy qz qw of a PoseStamped or an Odometry (its ``pose.pose``)."""
    pose = msg.pose.pose if hasattr(msg.pose, "pose") else msg.pose  # type: ignore[attr-defined]
    p, o = pose.position, pose.orientation
    return np.array([p.x, p.y, p.z, o.x, o.y, o.z, o.w], np.float64)


def quat_to_rpy(q: np.ndarray) -> np.ndarray:
    """(N, 4) x y z w -> (N, 3) roll pitch yaw (ZYX convention, as tf2 getRPY)."""
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    x, y, z, w = q.T
    roll = np.arctan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    pitch = np.arcsin(np.clip(2 * (w * y - z * x), -1.0, 1.0))
    yaw = np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return np.stack([roll, pitch, yaw], axis=1)


def command_vector(
    msg: object, msgtype: str, joints: tuple[str, ...], twist_fields: tuple[str, ...], topic: str
) -> np.ndarray | None:
    """Action vector of a command message, or None if it carries no command (empty trajectory).

    JointTrajectory: ``points[0].positions`` of ``joints`` (in that order). Twist/TwistStamped:
    the ``twist_fields`` such as ``linear.x``. Float64/32MultiArray: ``data`` as is.
    """
    if msgtype in ARRAY_TYPES:
        data = np.asarray(msg.data, np.float64)  # type: ignore[attr-defined]
        return data if data.size else None
    if msgtype == "trajectory_msgs/msg/JointTrajectory":
        if not msg.points or len(msg.points[0].positions) == 0:  # type: ignore[attr-defined]
            return None
        names = list(msg.joint_names)  # type: ignore[attr-defined]
        missing = [j for j in joints if j not in names]
        if missing:
            raise BagError(f"{topic}: joint(s) {missing} not in the trajectory's {names}")
        pos = np.asarray(msg.points[0].positions, np.float64)  # type: ignore[attr-defined]
        return pos[[names.index(j) for j in joints]]
    tw = msg.twist if msgtype == "geometry_msgs/msg/TwistStamped" else msg  # type: ignore[attr-defined]
    return np.array(
        [getattr(getattr(tw, f.split(".")[0]), f.split(".")[1]) for f in twist_fields], np.float64
    )


def marker_event(msg: object, msgtype: str) -> bool | None:
    """True = episode start, False = stop, None = ignore (unknown String)."""
    if msgtype == "std_msgs/msg/Bool":
        return bool(msg.data)  # type: ignore[attr-defined]
    word = str(msg.data).strip().lower()  # type: ignore[attr-defined]
    if word in START_WORDS:
        return True
    if word in STOP_WORDS:
        return False
    return None
