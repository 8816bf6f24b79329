"""The topic-mapping config of ``jepa-wm bag2zarr`` (frozen dataclasses; YAML only overrides).

Example ``topics.yaml`` (every key optional except the topics and joints you need)::

    fps: 10.0                      # target frame rate of the store, on the camera clock
    stamp_source: header           # header | log (use bag log time when header stamps are unset)
    image:
      topic: /camera/image_raw     # sensor_msgs/Image or sensor_msgs/CompressedImage
      crop: null                   # [top, left, height, width] in source pixels, applied first
      center_square: false         # crop the largest centred square (after ``crop``)
      resize: [64, 64]             # [height, width]; null keeps the source size
    state:
      topic: /joint_states         # sensor_msgs/JointState
      joints: [panda_joint1, panda_joint2]
      fields: [position]           # any of position, velocity, effort (joint-major order)
      ee_pose_topic: null          # geometry_msgs/PoseStamped -> x y z roll pitch yaw appended
      odom_topic: null             # nav_msgs/Odometry -> x y yaw appended (mobile bases)
      method: nearest              # nearest | linear
      tolerance: 0.05              # s; frames without state this close are dropped
      merge_max_age: 0.25          # s; joints split over messages (arm, gripper) are merged
                                   # when each was heard at most this long ago
    action:
      source: state_delta          # state_delta | command
      topic: null                  # JointTrajectory, Twist(Stamped), Float64/32MultiArray
      names: []                    # names of a MultiArray command's entries (default a0, a1..)
      joints: []                   # JointTrajectory joints (default: state.joints)
      twist_fields: [linear.x, linear.y, linear.z, angular.x, angular.y, angular.z]
      max_age: 0.25                # s; no command in [t, t+1/fps): hold the last one this old
      offset: 0.0                  # s subtracted from command stamps before association: the
                                   # clock skew or lag the report measured (command_offset_ms)
    episodes:
      split: gap                   # gap | marker | bag
      gap: 0.5                     # s without a kept frame ends an episode
      marker_topic: null           # std_msgs/Bool (true=start, false=stop) or String start/stop
      min_length: 2                # shorter episodes are dropped (and counted)
      partial: keep                # keep | drop: an episode a crash cut off (see below)
    clock_jump: 1.0                # s; header-vs-log time disagreement that marks a clock jump
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from jepa_wm.config import from_dict, read_yaml, to_dict

TWIST_FIELDS = (
    "linear.x",
    "linear.y",
    "linear.z",
    "angular.x",
    "angular.y",
    "angular.z",
)


@dataclass(frozen=True)
class ImageConfig:
    topic: str = "/camera/image_raw"
    crop: tuple[int, ...] | None = None
    center_square: bool = False
    resize: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.crop is not None and (len(self.crop) != 4 or min(self.crop[2:]) <= 0):
            raise ValueError("image.crop must be [top, left, height, width] with a positive size")
        if self.resize is not None and (len(self.resize) != 2 or min(self.resize) <= 0):
            raise ValueError("image.resize must be [height, width], both positive")


@dataclass(frozen=True)
class StateConfig:
    topic: str = "/joint_states"
    joints: tuple[str, ...] = ()
    fields: tuple[str, ...] = ("position",)
    ee_pose_topic: str | None = None
    odom_topic: str | None = None
    method: str = "nearest"
    tolerance: float = 0.05
    merge_max_age: float = 0.25

    def __post_init__(self) -> None:
        if bad := set(self.fields) - {"position", "velocity", "effort"}:
            raise ValueError(f"state.fields: unknown {sorted(bad)}; use position/velocity/effort")
        if self.method not in ("nearest", "linear"):
            raise ValueError(f"state.method must be nearest or linear, got {self.method!r}")
        if self.tolerance <= 0:
            raise ValueError("state.tolerance must be > 0")
        if self.merge_max_age <= 0:
            raise ValueError("state.merge_max_age must be > 0")


@dataclass(frozen=True)
class ActionConfig:
    source: str = "state_delta"
    topic: str | None = None
    joints: tuple[str, ...] = ()
    twist_fields: tuple[str, ...] = TWIST_FIELDS
    names: tuple[str, ...] = ()
    max_age: float = 0.25
    offset: float = 0.0

    def __post_init__(self) -> None:
        if self.source not in ("state_delta", "command"):
            raise ValueError(f"action.source must be state_delta or command, got {self.source!r}")
        if self.source == "command" and not self.topic:
            raise ValueError("action.source=command needs action.topic")
        if bad := set(self.twist_fields) - set(TWIST_FIELDS):
            raise ValueError(f"action.twist_fields: unknown {sorted(bad)}; valid: {TWIST_FIELDS}")


@dataclass(frozen=True)
class EpisodeConfig:
    split: str = "gap"
    gap: float = 0.5
    marker_topic: str | None = None
    min_length: int = 2
    # An episode cut off by a crash: started by a marker that no stop marker follows, or (gap and
    # bag splits) the last episode of a bag that was never closed (no metadata.yaml, or a
    # truncated file). "keep" writes it and marks it partial (store attrs ``partial_episodes``),
    # "drop" leaves it out; the report counts it either way.
    partial: str = "keep"

    def __post_init__(self) -> None:
        if self.split not in ("gap", "marker", "bag"):
            raise ValueError(f"episodes.split must be gap, marker or bag, got {self.split!r}")
        if self.split == "marker" and not self.marker_topic:
            raise ValueError("episodes.split=marker needs episodes.marker_topic")
        if self.min_length < 1:
            raise ValueError("episodes.min_length must be >= 1")
        if self.partial not in ("keep", "drop"):
            raise ValueError(f"episodes.partial must be keep or drop, got {self.partial!r}")


@dataclass(frozen=True)
class BagConvertConfig:
    fps: float = 10.0
    stamp_source: str = "header"
    image: ImageConfig = ImageConfig()
    state: StateConfig = StateConfig()
    action: ActionConfig = ActionConfig()
    episodes: EpisodeConfig = EpisodeConfig()
    clock_jump: float = 1.0
    frame_tolerance: float | None = None  # s; default half a target period

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ValueError("fps must be > 0")
        if self.stamp_source not in ("header", "log"):
            raise ValueError(f"stamp_source must be header or log, got {self.stamp_source!r}")
        if not (self.state.joints or self.state.ee_pose_topic or self.state.odom_topic):
            raise ValueError("state needs joints (names, in order), ee_pose_topic or odom_topic")

    @property
    def period(self) -> float:
        return 1.0 / self.fps

    @property
    def frame_tol(self) -> float:
        return self.frame_tolerance if self.frame_tolerance is not None else 0.5 / self.fps


def load_bag_config(path: str | Path | None, overrides: dict | None = None) -> BagConvertConfig:
    """The config from YAML at ``path`` (nested sections merge over the defaults)."""
    data = read_yaml(path) if path is not None else {}
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return from_dict(BagConvertConfig, data, where=str(path or "config"))


def config_sha256(cfg: BagConvertConfig) -> str:
    """Hash of the resolved config, stored with the converted data for provenance."""
    text = json.dumps(to_dict(cfg), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
