"""Goal sets on disk: observations captured on the robot, played back later as the goals.

A user drives the robot to a goal and captures it (``goal_capture_node``'s Trigger service); the
task node later plays the set as its goals (``goal_set`` launch argument). Layout::

    GOALS/goal_set.yaml          # version, and the goals in order
    GOALS/goal_000_rgb.png       # one PNG per camera view (8-bit RGB, lossless)
    GOALS/goal_000_wrist.png

``goal_set.yaml``::

    version: 1
    goals:
    - name: goal_000
      stamp: 1732912345.123            # s, ROS time of the capture
      images: {rgb: goal_000_rgb.png}  # view -> file, relative to the folder
      joint_state: {names: [panda_joint1, ...], positions: [...]}
      state: {names: [x, y, z, roll, pitch, yaw, gripper_opening], values: [...]}   # optional

``state`` is the planner's proprio state at the goal (the arm adapter's /ee_state); the task node
publishes it on /goal/state beside the goal image, for planners whose cost has a state term.
Image-only goals need only ``images``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

INDEX = "goal_set.yaml"
VERSION = 1


class GoalSetError(ValueError):
    """A goal set that cannot be read or written; the message names the file."""


@dataclass
class Goal:
    """One captured goal. images: view -> (H, W, 3) uint8 RGB; state: (S,) or None."""

    name: str
    images: dict[str, np.ndarray]
    joint_names: list[str] = field(default_factory=list)
    joint_positions: list[float] = field(default_factory=list)
    state_names: list[str] = field(default_factory=list)
    state: np.ndarray | None = None
    stamp: float = 0.0


def _read_index(folder: Path) -> dict:
    index = folder / INDEX
    if not index.is_file():
        return {"version": VERSION, "goals": []}
    try:
        data = yaml.safe_load(index.read_text())
    except yaml.YAMLError as exc:
        raise GoalSetError(f"{index}: invalid YAML: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise GoalSetError(f"{index}: not a version-{VERSION} goal set")
    if not isinstance(data.get("goals"), list):
        raise GoalSetError(f"{index}: 'goals' must be a list")
    return data


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name, dir=path.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def add_goal(folder: str | Path, goal: Goal) -> Path:
    """Append ``goal`` to the set in ``folder`` (created if needed): one PNG per view, then the
    index rewritten atomically, so a crash never leaves a goal listed without its images.
    Returns the index path. GoalSetError on a bad image."""
    import cv2

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = _read_index(folder)
    if not goal.images:
        raise GoalSetError(f"{folder}: a goal needs at least one camera view")
    files = {}
    for view, rgb in goal.images.items():
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise GoalSetError(
                f"view {view!r}: expected uint8 (H, W, 3), got {rgb.dtype} {rgb.shape}"
            )
        ok, png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        if not ok:
            raise GoalSetError(f"view {view!r}: cv2 could not encode the image")
        files[view] = f"{goal.name}_{view}.png"
        _write_atomic(folder / files[view], png.tobytes())
    entry: dict = {"name": goal.name, "stamp": float(goal.stamp), "images": files}
    entry["joint_state"] = {
        "names": list(goal.joint_names),
        "positions": [float(v) for v in goal.joint_positions],
    }
    if goal.state is not None:
        entry["state"] = {
            "names": list(goal.state_names),
            "values": [float(v) for v in goal.state],
        }
    data["goals"] = [g for g in data["goals"] if g.get("name") != goal.name] + [entry]
    _write_atomic(folder / INDEX, yaml.safe_dump(data, sort_keys=False).encode())
    return folder / INDEX


def next_goal_name(folder: str | Path) -> str:
    """``goal_NNN``, one past the goals already in ``folder``."""
    return f"goal_{len(_read_index(Path(folder))['goals']):03d}"


def load_goal_set(folder: str | Path) -> list[Goal]:
    """The goals of ``folder``, in order. GoalSetError (naming the file) if the index is missing
    or malformed, or an image is missing or unreadable."""
    import cv2

    folder = Path(folder)
    if not (folder / INDEX).is_file():
        raise GoalSetError(f"{folder}: no {INDEX} (capture goals with goal_capture_node first)")
    goals = []
    for i, g in enumerate(_read_index(folder)["goals"]):
        where = f"{folder / INDEX}: goals[{i}]"
        if not isinstance(g, dict) or not isinstance(g.get("images"), dict) or not g["images"]:
            raise GoalSetError(f"{where}: needs 'images' (view -> png file)")
        images = {}
        for view, name in g["images"].items():
            bgr = cv2.imread(str(folder / str(name)), cv2.IMREAD_COLOR)
            if bgr is None:
                raise GoalSetError(f"{where}: cannot read image {folder / str(name)}")
            images[str(view)] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        js, st = g.get("joint_state") or {}, g.get("state")
        goals.append(
            Goal(
                name=str(g.get("name", f"goal_{i:03d}")),
                images=images,
                joint_names=list(js.get("names", [])),
                joint_positions=[float(v) for v in js.get("positions", [])],
                state_names=list(st.get("names", [])) if st else [],
                state=np.asarray(st["values"], np.float64) if st else None,
                stamp=float(g.get("stamp", 0.0)),
            )
        )
    if not goals:
        raise GoalSetError(f"{folder / INDEX}: the goal set is empty")
    return goals
