"""Messages <-> numpy. Images go through hardware.image_codec (encodings checked there)."""

from __future__ import annotations

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
