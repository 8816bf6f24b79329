"""A LeRobot v3 dataset -> a trajectory store (``jepa-wm import-lerobot``).

Usage::

    summary = import_lerobot("datasets/pick", "data/pick.zarr", cameras=["front", "wrist"])

Kept: fps, episode boundaries, every frame of the chosen cameras (the first becomes ``rgb``),
state, action and timestamps row for row, the state/action names, the camera names and each
episode's task strings (root attribute ``tasks``: one list per episode). A failed import leaves
no store behind.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from jepa_wm.data.location import remove_store
from jepa_wm.data.store import TrajectoryStore
from jepa_wm.lerobot import meta as M
from jepa_wm.lerobot.reader import LeRobotReader


def _source(reader: LeRobotReader) -> dict[str, Any]:
    info = reader.info
    return {
        "kind": "lerobot",
        "root": str(info.root.resolve()),
        "codebase_version": info.version,
        "robot_type": info.robot_type,
        "state_feature": reader.state_key,
        "action_feature": reader.action_key,
        "camera_features": list(reader.camera_features),
        "alignment": "rows copied as is: action[t] is sent after observation[t]",
    }


def import_lerobot(
    root: str | Path,
    out: str | Path,
    *,
    cameras: list[str] | None = None,
    state_key: str = "observation.state",
    action_key: str = "action",
    overwrite: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Import every episode of the LeRobot v3 dataset at ``root`` into a new store ``out``.

    cameras: camera names (``front``) or feature keys; default all, in the dataset's order.
    Returns a JSON-able summary. Raises DatasetError / StoreError (one line).
    """
    reader = LeRobotReader(root, cameras=cameras, state_key=state_key, action_key=action_key)
    info = reader.info
    store = TrajectoryStore.create(
        out,
        fps=info.fps,
        source=_source(reader),
        feature_names={
            k: names
            for k, names in (
                ("state", M.feature_names(info, reader.state_key)),
                ("action", M.feature_names(info, reader.action_key)),
            )
            if names is not None
        },
        cameras=reader.cameras_attr(),
        overwrite=overwrite,
    )
    t0 = time.perf_counter()
    try:
        tasks = _copy_episodes(reader, store, progress)
        store.update_attrs({"tasks": tasks})
        store.compute_stats()
    except BaseException:
        remove_store(store.path)
        raise
    seconds = time.perf_counter() - t0
    return {
        "root": str(info.root),
        "out": str(out),
        "codebase_version": info.version,
        "episodes": store.num_episodes,
        "frames": store.num_steps,
        "fps": info.fps,
        "cameras": {reader.store_key(f): f for f in reader.camera_features},
        "tasks": sorted({t for ts in tasks for t in ts}),
        "seconds": seconds,
    }


def _copy_episodes(
    reader: LeRobotReader, store: TrajectoryStore, progress: bool
) -> list[list[str]]:
    indices: Any = range(len(reader))
    if progress:
        from tqdm import tqdm

        indices = tqdm(indices, desc="import-lerobot", unit="ep")
    tasks = []
    for i in indices:
        store.add_episode(reader.episode(i))
        tasks.append(reader.episode_tasks(i))
    return tasks
