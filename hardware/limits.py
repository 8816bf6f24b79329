"""Robot descriptions and safety limits, loaded from ``hardware/robots/<name>.yaml``.

A description names the URDF, the joints with position and velocity limits, the end-effector link,
the gripper, and the per-step limits on ee-delta actions (arms) or twists (bases). Loading is
strict: an unknown key, a missing key, a NaN or an inverted interval is a ``LimitsError`` naming
the file and the key, never a silent default.

Usage::

    desc = load_robot("panda")               # or a path to a YAML file
    desc.joint_lower, desc.joint_upper      # (J,) float64 arrays
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

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
        if value < bound:
            raise ValueError(f"{name}: must be >= {bound:g}, got {value!r}")


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
class RobotDescription:
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


# The file schema of each kind: its keys (an arm's are not a base's), required or optional.
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

    def __post_init__(self) -> None:
        if not self.control_rate_hz > 0:
            raise ValueError("control_rate_hz must be > 0")
        if not self.joints:
            raise ValueError("joints: expected a non-empty list")
        if self.rest_pose and len(self.rest_pose) != len(self.joints):
            n, j = len(self.rest_pose), len(self.joints)
            raise ValueError(f"rest_pose has {n} entries, expected {j}")


@dataclass(frozen=True)
class _BaseFile:
    name: str
    kind: str
    urdf: str
    control_rate_hz: float
    twist_limits: TwistLimits
    wheel_joints: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.control_rate_hz > 0:
            raise ValueError("control_rate_hz must be > 0")


_SCHEMAS: dict[str, type] = {"arm": _ArmFile, "base": _BaseFile}
# The one config loader (a leaf module every layer may use), with this module's wording.
_RULES = Rules(type_names=(("float", "a number"), ("int", "a number")), finite=True)


def parse_robot(data: Any, *, source: str = "<robot>") -> RobotDescription:
    """Validate a description mapping (as read from YAML) into a ``RobotDescription``;
    LimitsError "<source>: <key.path>: ..." on an unknown or missing key, a wrong type, a NaN,
    a negative limit or an inverted interval."""
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
