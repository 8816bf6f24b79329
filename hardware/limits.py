"""Robot descriptions and safety limits, loaded from ``hardware/robots/<name>.yaml``.

The YAML is the one description of a robot: the simulator (``sim/franka_base.py``,
``sim/husky_nav.py``), the safety adapters (``hardware/adapters.py`` and the ROS adapter nodes)
and the planner node all read its names, bounds and poses from here, never from constants of
their own. A description names the URDF, the joints with position and velocity limits, the
end-effector link, the gripper, the null-space rest pose, the action and state vector names,
the per-step limits on ee-delta actions (arms) or twists (bases), which are also the action
bounds, and an arm's commanded-pose workspace. Loading is strict: an unknown key, a missing
key, a NaN or an inverted interval is a ``LimitsError`` naming the file and the key, never a
silent default.

Usage::

    desc = load_robot("panda")               # or a path to a YAML file
    desc.joint_lower, desc.joint_upper      # (J,) float64 arrays
    spec = desc.action_spec()               # names (A,), low (A,), high (A,)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hardware.interfaces import ActionSpec

# The project's one bounded YAML loader: a leaf module with no project imports (see
# tests/test_layering.py), so the bottom layer may use it too.
from jepa_wm.safe_yaml import read_yaml_or_raise

ROBOTS_DIR = Path(__file__).resolve().parent / "robots"


class LimitsError(ValueError):
    """A robot description is malformed (unknown key, NaN, inverted limits, missing file)."""


@dataclass(frozen=True)
class Joint:
    name: str
    lower: float
    upper: float
    velocity: float  # rad/s (or m/s for prismatic joints)


@dataclass(frozen=True)
class Gripper:
    joints: tuple[str, ...]
    min_opening: float  # metres between the fingers
    max_opening: float
    velocity: float  # m/s of opening change


@dataclass(frozen=True)
class EeDeltaLimits:
    """Per control step bounds on |delta|: metres, radians, metres of gripper opening."""

    translation: float
    rotation: float
    gripper: float

    def low_high(self) -> tuple[np.ndarray, np.ndarray]:
        """(7,) low and high for [dx, dy, dz, droll, dpitch, dyaw, dgripper]."""
        high = np.array([self.translation] * 3 + [self.rotation] * 3 + [self.gripper])
        return -high, high


@dataclass(frozen=True)
class TwistLimits:
    linear: float  # m/s
    angular: float  # rad/s


@dataclass(frozen=True)
class Workspace:
    """An arm's commanded-pose box: position low/high (3,) in metres in the base frame, |roll|,
    |pitch|, |yaw| limits (3,) in radians relative to ``ee_reference_rpy``, and how far (m) the
    commanded position may run ahead of the measured end effector."""

    low: tuple[float, float, float]
    high: tuple[float, float, float]
    rpy_limit: tuple[float, float, float]
    max_lead: float


@dataclass(frozen=True)
class RobotDescription:
    """One robot, as ``hardware/robots/<name>.yaml`` describes it (see the module docstring).

    action_names (A,) and state_names (S,) name the planner's action and state vectors: an arm's
    7-D ee-delta action and ee state, a base's (v, omega) twist and (x, y, yaw) pose.
    """

    name: str
    kind: str  # "arm" | "base"
    urdf: str
    control_rate_hz: float
    joints: tuple[Joint, ...] = ()
    ee_link: str = ""
    rest_pose: tuple[float, ...] = ()
    ee_reference_rpy: tuple[float, float, float] = (0.0, 0.0, 0.0)  # reported as zero rpy
    gripper: Gripper | None = None
    ee_delta_limits: EeDeltaLimits | None = None
    wheel_joints: tuple[str, ...] = ()
    twist_limits: TwistLimits | None = None
    action_names: tuple[str, ...] = ()
    state_names: tuple[str, ...] = ()
    wrist_camera_link: str = ""  # the link a hand camera is mounted on ("" = none)
    workspace: Workspace | None = None

    def action_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(A,) low and high of one action: an arm's ee-delta limits, a base's twist limits."""
        if self.ee_delta_limits is not None:
            return self.ee_delta_limits.low_high()
        if self.twist_limits is None:  # unreachable for a parsed description
            raise LimitsError(f"{self.name}: no action limits in the description")
        high = np.array([self.twist_limits.linear, self.twist_limits.angular])
        return -high, high

    def action_spec(self) -> ActionSpec:
        """Names and bounds of the action vector; LimitsError if the YAML names no actions."""
        if not self.action_names:
            raise LimitsError(f"{self.name}: the description has no action_names")
        low, high = self.action_bounds()
        return ActionSpec(names=self.action_names, low=low, high=high)

    @property
    def joint_names(self) -> tuple[str, ...]:
        return tuple(j.name for j in self.joints)

    @property
    def joint_lower(self) -> np.ndarray:
        return np.array([j.lower for j in self.joints], dtype=np.float64)

    @property
    def joint_upper(self) -> np.ndarray:
        return np.array([j.upper for j in self.joints], dtype=np.float64)

    @property
    def joint_velocity(self) -> np.ndarray:
        return np.array([j.velocity for j in self.joints], dtype=np.float64)

    def urdf_path(self) -> str:
        """Absolute URDF path: as given, else relative to pybullet_data."""
        if Path(self.urdf).is_absolute():
            return self.urdf
        import pybullet_data

        return str(Path(pybullet_data.getDataPath()) / self.urdf)


_TOP = {
    "arm": {
        "name",
        "kind",
        "urdf",
        "control_rate_hz",
        "joints",
        "ee_link",
        "rest_pose",
        "ee_reference_rpy",
        "gripper",
        "ee_delta_limits",
        "action_names",
        "state_names",
        "wrist_camera_link",
        "workspace",
    },
    "base": {
        "name",
        "kind",
        "urdf",
        "control_rate_hz",
        "wheel_joints",
        "twist_limits",
        "action_names",
        "state_names",
    },
}
_OPTIONAL = {
    "gripper",
    "rest_pose",
    "wheel_joints",
    "ee_reference_rpy",
    "action_names",
    "state_names",
    "wrist_camera_link",
    "workspace",
}
_ACTION_DIM = {"arm": 7, "base": 2}  # ee-delta [dxyz, drpy, dgripper]; twist [v, omega]


def _finite(where: str, value: Any, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LimitsError(f"{where}: expected a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise LimitsError(f"{where}: must be finite, got {value!r}")
    if positive and v < 0:
        raise LimitsError(f"{where}: must be >= 0, got {value!r}")
    return v


def _mapping(where: str, data: Any, keys: set[str], optional: set[str] = frozenset()) -> dict:
    if not isinstance(data, dict):
        raise LimitsError(f"{where}: expected a mapping, got {type(data).__name__}")
    unknown = sorted(set(data) - keys)
    if unknown:
        raise LimitsError(
            f"{where}: unknown key {unknown[0]!r}; valid keys: {', '.join(sorted(keys))}"
        )
    missing = sorted(keys - optional - set(data))
    if missing:
        raise LimitsError(f"{where}: missing key {missing[0]!r}")
    return data


def _joint(where: str, d: Any) -> Joint:
    d = _mapping(where, d, {"name", "lower", "upper", "velocity"})
    lo, hi = _finite(f"{where}.lower", d["lower"]), _finite(f"{where}.upper", d["upper"])
    if lo >= hi:
        raise LimitsError(f"{where}: lower {lo} must be < upper {hi}")
    return Joint(str(d["name"]), lo, hi, _finite(f"{where}.velocity", d["velocity"], positive=True))


def _names(where: str, value: Any, dim: int | None = None) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise LimitsError(f"{where}: expected a list of names, got {value!r}")
    if len(set(value)) != len(value):
        raise LimitsError(f"{where}: names must be unique, got {value}")
    if dim is not None and len(value) != dim:
        raise LimitsError(f"{where}: expected {dim} names, got {len(value)}")
    return tuple(value)


def _triple(where: str, value: Any, *, positive: bool = False) -> tuple[float, float, float]:
    if not isinstance(value, list) or len(value) != 3:
        raise LimitsError(f"{where}: expected 3 numbers, got {value!r}")
    return tuple(_finite(f"{where}[{i}]", v, positive=positive) for i, v in enumerate(value))


def _workspace(src: str, data: Any) -> Workspace:
    w = _mapping(f"{src}: workspace", data, {"low", "high", "rpy_limit", "max_lead"})
    low, high = (
        _triple(f"{src}: workspace.low", w["low"]),
        _triple(f"{src}: workspace.high", w["high"]),
    )
    if any(lo >= hi for lo, hi in zip(low, high, strict=True)):
        raise LimitsError(f"{src}: workspace.low {list(low)} must be < high {list(high)}")
    rpy = _triple(f"{src}: workspace.rpy_limit", w["rpy_limit"], positive=True)
    return Workspace(
        low, high, rpy, _finite(f"{src}: workspace.max_lead", w["max_lead"], positive=True)
    )


def _parse_names(src: str, kind: str, d: dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if d.get("action_names") is not None:
        out["action_names"] = _names(f"{src}: action_names", d["action_names"], _ACTION_DIM[kind])
    if d.get("state_names") is not None:
        out["state_names"] = _names(f"{src}: state_names", d["state_names"])
    return out


def _parse_arm(src: str, d: dict) -> dict[str, Any]:
    joints = d["joints"]
    if not isinstance(joints, list) or not joints:
        raise LimitsError(f"{src}: joints: expected a non-empty list")
    out: dict[str, Any] = {
        "joints": tuple(_joint(f"{src}: joints[{i}]", j) for i, j in enumerate(joints)),
        "ee_link": str(d["ee_link"]),
    }
    rest = d.get("rest_pose") or []
    out["rest_pose"] = tuple(_finite(f"{src}: rest_pose[{i}]", v) for i, v in enumerate(rest))
    if rest and len(rest) != len(joints):
        raise LimitsError(f"{src}: rest_pose has {len(rest)} entries, expected {len(joints)}")
    ref = d.get("ee_reference_rpy") or [0.0, 0.0, 0.0]
    if not isinstance(ref, list) or len(ref) != 3:
        raise LimitsError(f"{src}: ee_reference_rpy: expected 3 numbers")
    out["ee_reference_rpy"] = tuple(
        _finite(f"{src}: ee_reference_rpy[{i}]", v) for i, v in enumerate(ref)
    )
    if d.get("gripper") is not None:
        g = _mapping(
            f"{src}: gripper", d["gripper"], {"joints", "min_opening", "max_opening", "velocity"}
        )
        lo = _finite(f"{src}: gripper.min_opening", g["min_opening"], positive=True)
        hi = _finite(f"{src}: gripper.max_opening", g["max_opening"], positive=True)
        if lo >= hi:
            raise LimitsError(f"{src}: gripper.min_opening must be < max_opening")
        v = _finite(f"{src}: gripper.velocity", g["velocity"], positive=True)
        out["gripper"] = Gripper(tuple(str(j) for j in g["joints"]), lo, hi, v)
    e = _mapping(
        f"{src}: ee_delta_limits", d["ee_delta_limits"], {"translation", "rotation", "gripper"}
    )
    out["ee_delta_limits"] = EeDeltaLimits(
        *(
            _finite(f"{src}: ee_delta_limits.{k}", e[k], positive=True)
            for k in ("translation", "rotation", "gripper")
        )
    )
    out["wrist_camera_link"] = str(d.get("wrist_camera_link") or "")
    if d.get("workspace") is not None:
        out["workspace"] = _workspace(src, d["workspace"])
    return out


def _parse_base(src: str, d: dict) -> dict[str, Any]:
    t = _mapping(f"{src}: twist_limits", d["twist_limits"], {"linear", "angular"})
    return {
        "wheel_joints": tuple(str(j) for j in d.get("wheel_joints") or ()),
        "twist_limits": TwistLimits(
            _finite(f"{src}: twist_limits.linear", t["linear"], positive=True),
            _finite(f"{src}: twist_limits.angular", t["angular"], positive=True),
        ),
    }


def parse_robot(data: Any, *, source: str = "<robot>") -> RobotDescription:
    """Validate a description mapping (as read from YAML) into a ``RobotDescription``."""
    if not isinstance(data, dict):
        raise LimitsError(f"{source}: expected a mapping at top level")
    kind = data.get("kind")
    if kind not in _TOP:
        raise LimitsError(f"{source}: kind must be one of {sorted(_TOP)}, got {kind!r}")
    d = _mapping(source, data, _TOP[kind], _OPTIONAL)
    rate = _finite(f"{source}: control_rate_hz", d["control_rate_hz"], positive=True)
    if rate <= 0:
        raise LimitsError(f"{source}: control_rate_hz must be > 0")
    parsed = _parse_arm(source, d) if kind == "arm" else _parse_base(source, d)
    parsed.update(_parse_names(source, kind, d))
    return RobotDescription(
        name=str(d["name"]), kind=kind, urdf=str(d["urdf"]), control_rate_hz=rate, **parsed
    )


def load_robot(name_or_path: str | Path) -> RobotDescription:
    """Load ``hardware/robots/<name>.yaml`` or a YAML file path; LimitsError on any problem."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = ROBOTS_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in ROBOTS_DIR.glob("*.yaml")))
        raise LimitsError(f"{path}: robot description not found (known robots: {known})")
    data = read_yaml_or_raise(path, LimitsError)
    return parse_robot(data, source=str(path))


def robot_names() -> list[str]:
    """Names of the bundled robot descriptions."""
    return sorted(p.stem for p in ROBOTS_DIR.glob("*.yaml"))
