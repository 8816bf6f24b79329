"""The metadata of a LeRobot v3 dataset: ``meta/info.json``, episodes and tasks.

Layout accepted (``codebase_version`` "v3.0", as written by lerobot 0.4)::

    ROOT/meta/info.json                              fps, features, data_path, video_path
    ROOT/meta/tasks.parquet                          task_index + the task string (pandas index)
    ROOT/meta/episodes/chunk-XXX/file-XXX.parquet    one row per episode: length, tasks, files
    ROOT/data/chunk-XXX/file-XXX.parquet             one row per frame
    ROOT/videos/<feature>/chunk-XXX/file-XXX.mp4     one stream per camera, episodes concatenated

Other versions are refused with a one-line ``DatasetError`` (v2.x stores one file per episode
and ``meta/episodes.jsonl``; lerobot's own converter turns it into v3.0).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jepa_wm.errors import DatasetError

ACCEPTED_VERSION = "v3.0"
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"  # lerobot's default
CAMERA_DTYPES = ("video", "image")
IMAGE_PREFIX = "observation.images."


@dataclass(frozen=True)
class LeRobotInfo:
    """What ``meta/info.json`` says. features: LeRobot feature key -> {dtype, shape, names, ...}."""

    root: Path
    version: str
    fps: float
    robot_type: str | None
    features: dict[str, dict[str, Any]]
    data_path: str
    video_path: str | None
    total_episodes: int
    total_frames: int

    @property
    def cameras(self) -> list[str]:
        """Feature keys of the camera features, in the dataset's order."""
        return [k for k, f in self.features.items() if f.get("dtype") in CAMERA_DTYPES]


def feature_names(info: LeRobotInfo, key: str) -> list[str] | None:
    """Per-dim names of a vector feature (a list, or LeRobot's {"motors": [...]} form)."""
    names = info.features[key].get("names")
    if isinstance(names, dict) and len(names) == 1:
        names = next(iter(names.values()))
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return list(names)
    return None


def _version_tuple(version: Any) -> tuple[int, ...] | None:
    match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?", str(version))
    return (int(match[1]), int(match[2])) if match else None


def check_version(root: Path, version: Any) -> str:
    """Return the version if it is the accepted one; else a DatasetError saying what to do."""
    got = _version_tuple(version)
    want = _version_tuple(ACCEPTED_VERSION)
    if got == want:
        return str(version)
    if got is None:
        raise DatasetError(f"{root}: meta/info.json has an unreadable codebase_version {version!r}")
    if got < want:  # type: ignore[operator]
        raise DatasetError(
            f"{root}: LeRobot {version} dataset; this importer reads LeRobot {ACCEPTED_VERSION} "
            f"only (convert it first with lerobot's convert_dataset_v21_to_v30)"
        )
    raise DatasetError(
        f"{root}: LeRobot {version} dataset is newer than {ACCEPTED_VERSION}, the version this "
        f"importer reads (its layout may have changed; nothing was imported)"
    )


def read_info(root: str | Path) -> LeRobotInfo:
    """Parse and check ``ROOT/meta/info.json``. Raises DatasetError (one line)."""
    root = Path(root)
    path = root / "meta" / "info.json"
    if not root.is_dir():
        raise DatasetError(f"{root}: no such dataset directory")
    if not path.is_file():
        raise DatasetError(f"{root}: not a LeRobot dataset (no meta/info.json)")
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path}: unreadable JSON: {exc}") from None
    if not isinstance(raw, dict) or "codebase_version" not in raw:
        raise DatasetError(f"{path}: not a LeRobot info.json (no codebase_version)")
    version = check_version(root, raw["codebase_version"])
    missing = [k for k in ("fps", "features", "data_path") if k not in raw]
    if missing:
        raise DatasetError(f"{path}: missing {', '.join(missing)}")
    if not (isinstance(raw["fps"], int | float) and raw["fps"] > 0):
        raise DatasetError(f"{path}: fps must be a positive number, got {raw['fps']!r}")
    return LeRobotInfo(
        root=root,
        version=version,
        fps=float(raw["fps"]),
        robot_type=raw.get("robot_type"),
        features=dict(raw["features"]),
        data_path=str(raw["data_path"]),
        video_path=raw.get("video_path"),
        total_episodes=int(raw.get("total_episodes", -1)),
        total_frames=int(raw.get("total_frames", -1)),
    )


def _read_tables(paths: list[Path], columns: list[str] | None = None) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    for path in paths:
        try:
            rows += pq.read_table(path, columns=columns).to_pylist()
        except Exception as exc:
            raise DatasetError(f"{path}: unreadable parquet: {type(exc).__name__}: {exc}") from None
    return rows


def read_episodes(info: LeRobotInfo) -> list[dict[str, Any]]:
    """Rows of ``meta/episodes/*/*.parquet`` (stats columns left out), sorted by episode_index."""
    import pyarrow.parquet as pq

    paths = sorted((info.root / "meta" / "episodes").glob("chunk-*/file-*.parquet"))
    if not paths:
        raise DatasetError(f"{info.root}: no meta/episodes/chunk-*/file-*.parquet")
    columns = [c for c in pq.read_schema(paths[0]).names if not c.startswith("stats/")]
    rows = sorted(_read_tables(paths, columns), key=lambda r: r["episode_index"])
    for key in ("episode_index", "length", "dataset_from_index", "dataset_to_index"):
        if key not in rows[0]:
            raise DatasetError(f"{paths[0]}: episode table has no column {key!r}")
    return rows


def read_tasks(info: LeRobotInfo) -> dict[int, str]:
    """task_index -> task string (lerobot keeps the string in the pandas index column)."""
    path = info.root / "meta" / "tasks.parquet"
    if not path.is_file():
        return {}
    tasks: dict[int, str] = {}
    for row in _read_tables([path]):
        text = row.get("task", row.get("__index_level_0__"))
        tasks[int(row["task_index"])] = str(text)
    return tasks


def data_file(info: LeRobotInfo, episode: dict[str, Any]) -> Path:
    """The data parquet holding an episode's rows."""
    return info.root / info.data_path.format(
        chunk_index=episode["data/chunk_index"], file_index=episode["data/file_index"]
    )


def video_file(info: LeRobotInfo, episode: dict[str, Any], feature: str) -> Path:
    """The mp4 holding one camera of an episode."""
    if not info.video_path:
        raise DatasetError(
            f"{info.root}: {feature} is a video feature but info.json has no video_path"
        )
    prefix = f"videos/{feature}/"
    return info.root / info.video_path.format(
        video_key=feature,
        chunk_index=episode[prefix + "chunk_index"],
        file_index=episode[prefix + "file_index"],
    )
