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

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from hardware.interfaces import ActionSpec

# The project's bounded YAML loader and its config loader: leaf modules with no project imports
# (see tests/test_layering.py), so the bottom layer may use them too.
from jepa_wm.config_loader import Rules, build
from jepa_wm.safe_yaml import read_yaml_or_raise

ROBOTS_DIR = Path(__file__).resolve().parent / "robots"


class LimitsError(ValueError):
    """A robot description is malformed (unknown key, NaN, inverted limits, missing file)."""


def _at_least(obj: Any, bound: float, *names: str) -> None:
    """ValueError "name: must be >= bound" for the first field of ``obj`` below ``bound``."""
    for name in names:
        value = getattr(obj, name)
        values = value if isinstance(value, tuple) else (value,)
        if any(v < bound for v in values):
            raise ValueError(f"{name}: must be >= {bound:g}, got {value!r}")


def _check_names(field: str, names: tuple[str, ...], dim: int | None = None) -> None:
    """ValueError for empty, repeated or (given ``dim``) too few/many names."""
    if not all(names):
        raise ValueError(f"{field}: expected a list of names, got {list(names)}")
    if len(set(names)) != len(names):
        raise ValueError(f"{field}: names must be unique, got {list(names)}")
    if dim is not None and len(names) != dim:
        raise ValueError(f"{field}: expected {dim} names, got {len(names)}")


@dataclass(frozen=True)
class Joint:
    name: str
    lower: float
    upper: float
    velocity: float  # rad/s (or m/s for prismatic joints)

    def __post_init__(self) -> None:
        if self.lower >= self.upper:
            raise ValueError(f"lower {self.lower} must be < upper {self.upper}")
        _at_least(self, 0, "velocity")


@dataclass(frozen=True)
class Gripper:
    joints: tuple[str, ...]
    min_opening: float  # metres between the fingers
    max_opening: float
    velocity: float  # m/s of opening change

    def __post_init__(self) -> None:
        _at_least(self, 0, "min_opening", "max_opening", "velocity")
        if self.min_opening >= self.max_opening:
            raise ValueError("min_opening must be < max_opening")


@dataclass(frozen=True)
class EeDeltaLimits:
    """Per control step bounds on |delta|: metres, radians, metres of gripper opening."""

    translation: float
    rotation: float
    gripper: float

    def __post_init__(self) -> None:
        _at_least(self, 0, "translation", "rotation", "gripper")

    def low_high(self) -> tuple[np.ndarray, np.ndarray]:
        """(7,) low and high for [dx, dy, dz, droll, dpitch, dyaw, dgripper]."""
        high = np.array([self.translation] * 3 + [self.rotation] * 3 + [self.gripper])
        return -high, high


@dataclass(frozen=True)
class TwistLimits:
    linear: float  # m/s
    angular: float  # rad/s

    def __post_init__(self) -> None:
        _at_least(self, 0, "linear", "angular")


@dataclass(frozen=True)
class Workspace:
    """An arm's commanded-pose box: position low/high (3,) in metres in the base frame, |roll|,
    |pitch|, |yaw| limits (3,) in radians relative to ``ee_reference_rpy``, and how far (m) the
    commanded position may run ahead of the measured end effector."""

    low: tuple[float, float, float]
    high: tuple[float, float, float]
    rpy_limit: tuple[float, float, float]
    max_lead: float

    def __post_init__(self) -> None:
        _at_least(self, 0, "rpy_limit", "max_lead")


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


# The file schema of each kind (an arm's keys are not a base's), built by the one config loader.
@dataclass(frozen=True)
class _ArmFile:
    name: str
    kind: str
    urdf: str
    control_rate_hz: float
    joints: tuple[Joint, ...]
    ee_link: str
    ee_delta_limits: EeDeltaLimits
    rest_pose: tuple[float, ...] = ()
    ee_reference_rpy: tuple[float, float, float] = (0.0, 0.0, 0.0)
    gripper: Gripper | None = None
    action_names: tuple[str, ...] = ()
    state_names: tuple[str, ...] = ()
    wrist_camera_link: str = ""
    workspace: Workspace | None = None

    def __post_init__(self) -> None:
        _check_common(self, action_dim=7)  # ee-delta [dxyz, drpy, dgripper]
        if not self.joints:
            raise ValueError("joints: expected a non-empty list")
        if self.rest_pose and len(self.rest_pose) != len(self.joints):
            n, j = len(self.rest_pose), len(self.joints)
            raise ValueError(f"rest_pose has {n} entries, expected {j}")
        ws = self.workspace
        if ws is not None and any(lo >= hi for lo, hi in zip(ws.low, ws.high, strict=True)):
            raise ValueError(f"workspace.low {list(ws.low)} must be < high {list(ws.high)}")


@dataclass(frozen=True)
class _BaseFile:
    name: str
    kind: str
    urdf: str
    control_rate_hz: float
    twist_limits: TwistLimits
    wheel_joints: tuple[str, ...] = ()
    action_names: tuple[str, ...] = ()
    state_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_common(self, action_dim=2)  # twist [v, omega]


def _check_common(d: _ArmFile | _BaseFile, action_dim: int) -> None:
    _at_least(d, 0, "control_rate_hz")
    if d.control_rate_hz <= 0:
        raise ValueError("control_rate_hz must be > 0")
    if d.action_names:
        _check_names("action_names", d.action_names, action_dim)
    if d.state_names:
        _check_names("state_names", d.state_names)


_SCHEMAS: dict[str, type[_ArmFile] | type[_BaseFile]] = {"arm": _ArmFile, "base": _BaseFile}
# The loader's wording here: any number is "a number", names are "a list of names".
_RULES = Rules(
    type_names=(("float", "a number"), ("int", "a number"), ("list of str", "a list of names")),
    finite=True,
)


def parse_robot(data: Any, *, source: str = "<robot>") -> RobotDescription:
    """Validate a description mapping (as read from YAML) into a ``RobotDescription``;
    LimitsError "<source>: <key.path>: ..." on an unknown or missing key, a wrong type, a NaN,
    a negative limit, an inverted interval or a wrong number of names."""
    if not isinstance(data, dict):
        raise LimitsError(f"{source}: expected a mapping at top level")
    kind = data.get("kind")
    if kind not in _SCHEMAS:
        raise LimitsError(f"{source}: kind must be one of {sorted(_SCHEMAS)}, got {kind!r}")
    parsed = build(_SCHEMAS[kind], data, where=source, error=LimitsError, rules=_RULES)
    return RobotDescription(**{f.name: getattr(parsed, f.name) for f in fields(parsed)})


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
