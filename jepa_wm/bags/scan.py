"""Pass 1 of a conversion: check a bag's topics, then read every small stream and the camera's
stamps (pixels are not decoded; only the first frame is, to check its encoding early).

Memory stays small: a few numbers per message. Pixels are read in pass 2 (``convert``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from jepa_wm.bags import messages as M
from jepa_wm.bags.config import BagConvertConfig
from jepa_wm.bags.source import BagSource, TopicInfo
from jepa_wm.errors import BagError


@dataclass
class Stream:
    """One topic in read order. log_ns, stamp_ns: (N,) int64; values: (N, D) float64."""

    log_ns: np.ndarray
    stamp_ns: np.ndarray
    values: np.ndarray

    @classmethod
    def build(cls, log: list[int], stamp: list[int], values: list, dim: int) -> Stream:
        vals = np.asarray(values, np.float64).reshape(len(values), dim)
        return cls(np.asarray(log, np.int64), np.asarray(stamp, np.int64), vals)

    def __len__(self) -> int:
        return len(self.log_ns)


@dataclass
class BagScan:
    """Everything pass 1 learned about one bag."""

    path: Path
    topics: dict[str, TopicInfo]
    image_type: str
    images: Stream  # values: (N, 0); row i is image ordinal i
    joints: Stream | None
    ee: Stream | None  # values: (N, 7) x y z qx qy qz qw
    odom: Stream | None  # values: (N, 7) x y z qx qy qz qw
    command: Stream | None
    markers: Stream | None  # values: (N, 1) 1=start 0=stop; stamps are log times
    state_names: list[str]
    action_names: list[str]
    warnings: list[str] = field(default_factory=list)
    closed: bool = True  # False: the recorder never closed it (killed, crashed): its end is cut


def needed_topics(cfg: BagConvertConfig) -> dict[str, tuple[str, ...]]:
    """topic -> accepted message types, for the topics this config reads."""
    need: dict[str, tuple[str, ...]] = {cfg.image.topic: M.IMAGE_TYPES}
    if cfg.state.joints:
        need[cfg.state.topic] = (M.JOINT_STATE,)
    if cfg.state.ee_pose_topic:
        need[cfg.state.ee_pose_topic] = (M.POSE_STAMPED,)
    if cfg.state.odom_topic:
        need[cfg.state.odom_topic] = (M.ODOMETRY,)
    if cfg.action.source == "command" and cfg.action.topic:
        need[cfg.action.topic] = M.COMMAND_TYPES
    if cfg.episodes.split == "marker" and cfg.episodes.marker_topic:
        need[cfg.episodes.marker_topic] = M.MARKER_TYPES
    return need


def check_topics(path: Path, topics: dict[str, TopicInfo], cfg: BagConvertConfig) -> None:
    """BagError naming the needed topics and the present ones, if any is missing or mistyped."""
    need = needed_topics(cfg)
    missing = [t for t in need if t not in topics]
    wrong = [
        f"{t} is {topics[t].msgtype}, expected {' or '.join(need[t])}"
        for t in need
        if t in topics and topics[t].msgtype not in need[t]
    ]
    if not missing and not wrong:
        return
    needs = "; ".join(f"{t} ({' | '.join(ts)})" for t, ts in need.items())
    has = "; ".join(f"{t} ({i.msgtype}, {i.count})" for t, i in sorted(topics.items())) or "none"
    problem = "; ".join(([f"missing topic(s) {', '.join(missing)}"] if missing else []) + wrong)
    raise BagError(f"{path}: cannot convert: {problem}. Needs: {needs}. The bag has: {has}")


def _stamp(msg: object, log_ns: int, cfg: BagConvertConfig) -> int:
    if cfg.stamp_source == "log" or not hasattr(msg, "header"):
        return log_ns
    ns = M.msg_stamp_ns(msg)
    return ns if ns != 0 else log_ns  # an unset stamp means "now" (JointTrajectory)


def scan_bag(path: str | Path, cfg: BagConvertConfig) -> BagScan:
    """Pass 1 over one bag. Raises BagError before reading anything if topics are missing."""
    path = Path(path)
    with BagSource(path) as bag:
        check_topics(path, bag.topics, cfg)
        return _scan_open(bag, cfg)


def _scan_open(bag: BagSource, cfg: BagConvertConfig) -> BagScan:
    topics = bag.topics
    img_t = cfg.image.topic
    picker = M.JointPicker(
        cfg.state.joints, cfg.state.fields, cfg.state.topic, cfg.state.merge_max_age
    )
    cmd_joints = cfg.action.joints or cfg.state.joints
    cols: dict[str, tuple[list, list, list]] = {}
    first_image = True
    for topic, msgtype, log_ns, raw in bag.messages(needed_topics(cfg)):
        log, stamp, vals = cols.setdefault(topic, ([], [], []))
        if topic == img_t:
            if first_image:  # fail early on an unsupported encoding
                M.image_to_rgb(bag.decode(raw, msgtype), msgtype)
                first_image = False
            log.append(log_ns)
            stamp.append(log_ns if cfg.stamp_source == "log" else M.header_stamp_ns(raw))
            vals.append(())
            continue
        msg = bag.decode(raw, msgtype)
        if topic == cfg.episodes.marker_topic and cfg.episodes.split == "marker":
            ev = M.marker_event(msg, msgtype)
            value = None if ev is None else (1.0 if ev else 0.0)
            ts = log_ns
        elif topic == cfg.state.topic and cfg.state.joints:
            ts = _stamp(msg, log_ns, cfg)
            value = picker(msg, ts)
            if value is not None and stamp and stamp[-1] == ts:
                vals[-1] = value  # the arm's and the gripper's message of one instant: the later
                continue  # holds both, fresh
        elif topic in (cfg.state.ee_pose_topic, cfg.state.odom_topic):
            value, ts = M.pose_xyzquat(msg), _stamp(msg, log_ns, cfg)
        else:
            value = M.command_vector(msg, msgtype, cmd_joints, cfg.action.twist_fields, topic)
            ts = _stamp(msg, log_ns, cfg)
        if value is not None:
            log.append(log_ns)
            stamp.append(ts)
            vals.append(value)
    if cfg.state.joints:
        picker.check(bag.path)
    return _assemble(bag, cfg, cols, picker.names(), cmd_joints, topics)


def _command_stream(cfg, ctype: str, joints, cols, path) -> tuple[Stream, list[str]]:
    log, stamp, vals = cols.get(cfg.action.topic, ([], [], []))
    if ctype == "trajectory_msgs/msg/JointTrajectory":
        names = list(joints)
    elif ctype in M.ARRAY_TYPES:
        sizes = {len(v) for v in vals}
        if len(sizes) > 1:
            raise BagError(f"{path}: {cfg.action.topic} arrays change size: {sorted(sizes)}")
        dim = sizes.pop() if sizes else len(cfg.action.names)
        names = list(cfg.action.names) or [f"a{i}" for i in range(dim)]
        if len(names) != dim:
            raise BagError(f"{path}: action.names has {len(names)} names for {dim}-d commands")
    else:
        names = list(cfg.action.twist_fields)
    return Stream.build(log, stamp, vals, len(names)), names


def _assemble(bag, cfg, cols, joint_names, cmd_joints, topics) -> BagScan:
    def stream(topic: str | None, dim: int) -> Stream | None:
        if topic is None:
            return None
        log, stamp, vals = cols.get(topic, ([], [], []))
        return Stream.build(log, stamp, vals, dim)

    images = stream(cfg.image.topic, 0)
    if images is None or len(images) == 0:
        raise BagError(f"{bag.path}: topic {cfg.image.topic} has no readable image")
    if cfg.stamp_source == "header" and not images.stamp_ns.any():
        raise BagError(
            f"{bag.path}: every image header stamp is zero; set stamp_source: log in the config"
        )
    joints = stream(cfg.state.topic, len(joint_names)) if cfg.state.joints else None
    ee = stream(cfg.state.ee_pose_topic, 7)
    odom = stream(cfg.state.odom_topic, 7)
    state_names = list(joint_names)
    if ee is not None:
        state_names += ["ee.x", "ee.y", "ee.z", "ee.roll", "ee.pitch", "ee.yaw"]
    if odom is not None:
        state_names += ["odom.x", "odom.y", "odom.yaw"]
    command, action_names = None, [f"d_{n}" for n in state_names]
    if cfg.action.source == "command":
        ctype = topics[cfg.action.topic].msgtype
        command, action_names = _command_stream(cfg, ctype, cmd_joints, cols, bag.path)
    markers = stream(cfg.episodes.marker_topic, 1) if cfg.episodes.split == "marker" else None
    return BagScan(
        path=bag.path,
        topics=dict(topics),
        image_type=topics[cfg.image.topic].msgtype,
        images=images,
        joints=joints,
        ee=ee,
        odom=odom,
        command=command,
        markers=markers,
        state_names=state_names,
        action_names=action_names,
        warnings=list(bag.warnings),
        closed=bag.closed,
    )
