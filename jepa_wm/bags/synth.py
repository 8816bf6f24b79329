"""Write small synthetic rosbag2 recordings (camera + joint states + commands) with rosbags.

Used by the bag2zarr benchmark and the tests; the frames and states follow known formulas, so a
conversion can be checked against the truth.

Usage::

    spec = SynthSpec(frames=100, size=64, encoding="rgb8")
    write_synthetic_bag(tmp / "bag", spec, storage="mcap")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from hardware.image_codec import rgb_to_compressed, rgb_to_image_fields

CAMERA = "/camera/image_raw"
JOINTS = "/joint_states"
TRAJ = "/arm_controller/joint_trajectory"
CMD_VEL = "/cmd_vel"
ODOM = "/odom"
ARRAY_CMD = "/expert/action"
MARKER = "/episode_marker"


@dataclass
class SynthSpec:
    """frames camera frames at cam_fps; joint states at state_fps; t0 seconds since epoch."""

    frames: int = 50
    cam_fps: float = 20.0
    state_fps: float = 100.0
    size: int = 32
    encoding: str = "rgb8"  # an Image encoding, or "jpeg"/"png" for CompressedImage
    joints: tuple[str, ...] = ("j1", "j2", "j3")
    t0: float = 1_700_000_000.0
    commands: bool = True
    twist: bool = False
    # stamp_ns of frame i -> header stamp used (to inject jitter, reordering, clock jumps)
    cam_stamp: Callable[[int, int], int] | None = None
    state_stamp: Callable[[int, int], int] | None = None
    markers: list[tuple[float, bool]] = field(default_factory=list)  # (time s from t0, start?)
    skip_frames: tuple[int, ...] = ()  # camera frames never published (a dropout)
    odom: bool = False  # /odom at state_fps: x = t, y = 2 t, yaw = 3 t (wrapped)
    array_commands: bool = False  # /expert/action Float64MultiArray [t, -t] after each frame
    # >0: the last joint comes in its own JointState every split_every-th state step (an arm and
    # a gripper driver publishing separately on /joint_states); the others without it
    split_every: int = 0
    command_delay: float = 0.001  # s from frame i to its command (< 0: a host clock behind)


def frame_rgb(i: int, size: int) -> np.ndarray:
    """(size, size, 3) uint8 frame i: a gradient with the frame index encoded in channel 0."""
    y, x = np.mgrid[0:size, 0:size]
    img = np.stack([np.full_like(x, i % 256), (x * 255) // max(size - 1, 1), (y * 7) % 256], -1)
    return img.astype(np.uint8)


def joint_positions(t: float, n: int) -> np.ndarray:
    """(n,) joint positions at time t (seconds from t0): smooth, distinct per joint."""
    return np.array([np.sin(0.5 * t + k) + 0.1 * k * t for k in range(n)])


def _stamp(store, ns: int):
    Time = store.types["builtin_interfaces/msg/Time"]
    Header = store.types["std_msgs/msg/Header"]
    return Header(stamp=Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000), frame_id="cam")


def _image_msg(store, i: int, ns: int, spec: SynthSpec):
    rgb = frame_rgb(i, spec.size)
    if spec.encoding in ("jpeg", "png"):
        Msg = store.types["sensor_msgs/msg/CompressedImage"]
        data = np.frombuffer(rgb_to_compressed(rgb, spec.encoding, quality=95), np.uint8)
        return Msg(header=_stamp(store, ns), format=spec.encoding, data=data.copy())
    f = rgb_to_image_fields(rgb, spec.encoding)
    f["data"] = np.frombuffer(f["data"], np.uint8).copy()
    return store.types["sensor_msgs/msg/Image"](header=_stamp(store, ns), **f)


def _joint_msg(store, ns: int, t: float, spec: SynthSpec, i: int, part: slice = slice(None)):
    names = list(spec.joints)[part]
    pos = joint_positions(t, len(spec.joints))[part]
    if i % 2:  # publishers may reorder names between messages; the converter must not care
        names, pos = names[::-1], pos[::-1]
    return store.types["sensor_msgs/msg/JointState"](
        header=_stamp(store, ns),
        name=names,
        position=pos.astype(np.float64),
        velocity=np.zeros(len(names)),
        effort=np.zeros(len(names)),
    )


def _traj_msg(store, ns: int, t: float, spec: SynthSpec):
    Point = store.types["trajectory_msgs/msg/JointTrajectoryPoint"]
    Duration = store.types["builtin_interfaces/msg/Duration"]
    target = joint_positions(t + 1.0 / spec.cam_fps, len(spec.joints))
    pt = Point(
        positions=target,
        velocities=np.zeros(0),
        accelerations=np.zeros(0),
        effort=np.zeros(0),
        time_from_start=Duration(sec=0, nanosec=50_000_000),
    )
    return store.types["trajectory_msgs/msg/JointTrajectory"](
        header=_stamp(store, ns), joint_names=list(spec.joints), points=[pt]
    )


def _twist_msg(store, t: float):
    V = store.types["geometry_msgs/msg/Vector3"]
    return store.types["geometry_msgs/msg/Twist"](
        linear=V(x=float(np.cos(t)), y=0.0, z=0.0), angular=V(x=0.0, y=0.0, z=float(np.sin(t)))
    )


def _odom_msg(store, ns: int, t: float):
    P, Q = store.types["geometry_msgs/msg/Point"], store.types["geometry_msgs/msg/Quaternion"]
    Pose = store.types["geometry_msgs/msg/Pose"]
    PwC = store.types["geometry_msgs/msg/PoseWithCovariance"]
    TwC = store.types["geometry_msgs/msg/TwistWithCovariance"]
    V = store.types["geometry_msgs/msg/Vector3"]
    T = store.types["geometry_msgs/msg/Twist"]
    yaw = 3.0 * t
    pose = Pose(
        position=P(x=t, y=2.0 * t, z=0.0),
        orientation=Q(x=0.0, y=0.0, z=float(np.sin(yaw / 2)), w=float(np.cos(yaw / 2))),
    )
    zero = V(x=0.0, y=0.0, z=0.0)
    return store.types["nav_msgs/msg/Odometry"](
        header=_stamp(store, ns),
        child_frame_id="base_link",
        pose=PwC(pose=pose, covariance=np.zeros(36)),
        twist=TwC(twist=T(linear=zero, angular=zero), covariance=np.zeros(36)),
    )


def _array_msg(store, t: float):
    Layout = store.types["std_msgs/msg/MultiArrayLayout"]
    return store.types["std_msgs/msg/Float64MultiArray"](
        layout=Layout(dim=[], data_offset=0), data=np.array([t, -t])
    )


def synthetic_messages(spec: SynthSpec, store) -> list[tuple[int, str, str, object]]:
    """All messages as (log_ns, topic, msgtype, make_msg), sorted by log time; messages are
    built lazily by ``make_msg()`` so a long bag never sits in memory."""
    out = []
    t0 = int(spec.t0 * 1e9)
    cam_dt = int(1e9 / spec.cam_fps)
    for i in range(spec.frames):
        log = t0 + i * cam_dt
        stamp = spec.cam_stamp(i, log) if spec.cam_stamp else log
        if i in spec.skip_frames:
            continue
        out.append((log, CAMERA, "", lambda i=i, s=stamp: _image_msg(store, i, s, spec)))
        if spec.array_commands:
            t = i * cam_dt / 1e9
            msg = partial(_array_msg, store, t)
            out.append((log + 1_000_000, ARRAY_CMD, "std_msgs/msg/Float64MultiArray", msg))
        if spec.commands:
            t = i * cam_dt / 1e9
            if spec.twist:
                out.append(
                    (
                        log + 1_000_000,
                        CMD_VEL,
                        "geometry_msgs/msg/Twist",
                        lambda t=t: _twist_msg(store, t),
                    )
                )
            else:
                at = log + int(spec.command_delay * 1e9)
                msg = partial(_traj_msg, store, at, t, spec)
                out.append((at, TRAJ, "trajectory_msgs/msg/JointTrajectory", msg))
    n_states = int(spec.frames / spec.cam_fps * spec.state_fps) + 1
    st_dt = int(1e9 / spec.state_fps)
    for i in range(n_states):
        log = t0 + i * st_dt
        stamp = spec.state_stamp(i, log) if spec.state_stamp else log
        t = (stamp - t0) / 1e9
        if spec.split_every:
            msg = partial(_joint_msg, store, stamp, t, spec, i, slice(None, -1))
            if i % spec.split_every == 0:
                grip = partial(_joint_msg, store, stamp, t, spec, i, slice(-1, None))
                out.append((log, JOINTS, "sensor_msgs/msg/JointState", grip))
        else:
            msg = partial(_joint_msg, store, stamp, t, spec, i)
        out.append((log, JOINTS, "sensor_msgs/msg/JointState", msg))
        if spec.odom:
            odom = partial(_odom_msg, store, stamp, (stamp - t0) / 1e9)
            out.append((log, ODOM, "nav_msgs/msg/Odometry", odom))
    Bool = store.types["std_msgs/msg/Bool"]
    for t, start in spec.markers:
        out.append((t0 + int(t * 1e9), MARKER, "std_msgs/msg/Bool", partial(Bool, data=start)))
    img_type = (
        "sensor_msgs/msg/CompressedImage"
        if spec.encoding in ("jpeg", "png")
        else "sensor_msgs/msg/Image"
    )
    out = [(lg, tp, mt or img_type, m) for lg, tp, mt, m in out]
    out.sort(key=lambda r: r[0])
    return out


def write_synthetic_bag(
    path: str | Path, spec: SynthSpec, storage: str = "mcap", compress_messages: bool = False
) -> Path:
    """Write ``spec`` as a rosbag2 directory (storage "mcap" or "sqlite3"; each message zstd
    compressed on its own with ``compress_messages``, as ``ros2 bag record
    --compression-mode message`` does); returns the path."""
    from rosbags.rosbag2 import CompressionFormat, CompressionMode, StoragePlugin, Writer
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS2_KILTED)
    plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
    msgs = synthetic_messages(spec, store)
    path = Path(path)
    writer = Writer(path, version=9, storage_plugin=plugin)
    if compress_messages:
        writer.set_compression(CompressionMode.MESSAGE, CompressionFormat.ZSTD)
    with writer as w:
        conns = {}
        for _, topic, msgtype, _ in msgs:
            if topic not in conns:
                conns[topic] = w.add_connection(topic, msgtype, typestore=store)
        for log, topic, msgtype, msg in msgs:
            w.write(conns[topic], log, store.serialize_cdr(msg(), msgtype))
    return path
