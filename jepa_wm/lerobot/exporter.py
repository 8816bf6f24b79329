"""A trajectory store -> a LeRobot v3.0 dataset (``jepa-wm export-lerobot``), images as PNG.

Written in the layout and schema the lerobot library writes (checked against the fixtures it
wrote, ``../shared/fixtures/lerobot-v3/images``): one data parquet with camera frames as
embedded PNG (``struct<bytes, path>``, lossless), ``observation.state``, ``action`` and the
library's columns; ``meta/info.json``, ``meta/tasks.parquet`` (the task string in the pandas
index column), ``meta/episodes/chunk-000/file-000.parquet`` and ``meta/stats.json``. Rows are
copied without shifting (see reader.py). Not written: video features, and the per-episode
``stats/*`` columns of ``meta/episodes`` (the lerobot library itself could not be run here to
check what it requires of them).

Usage::

    summary = export_lerobot("data/pick.zarr", "datasets/pick", robot_type="panda")
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from jepa_wm.data import keys as K
from jepa_wm.data.store import TrajectoryStore
from jepa_wm.errors import DatasetError
from jepa_wm.lerobot import meta as M

if TYPE_CHECKING:
    import pyarrow as pa

DATA_FILE = "data/chunk-000/file-000.parquet"
EPISODES_FILE = "meta/episodes/chunk-000/file-000.parquet"
QUANTILES = {"q01": 0.01, "q10": 0.10, "q50": 0.50, "q90": 0.90, "q99": 0.99}
_LIBRARY_COLUMNS = ("timestamp", "frame_index", "episode_index", "index", "task_index")


def _camera_features(store: TrajectoryStore) -> dict[str, str]:
    """store key -> LeRobot feature key (``observation.images.<camera name>``)."""
    cams = store.attrs.get("cameras") or {}
    out = {}
    for key in store.keys:
        if K.is_rgb_key(key):
            entry = cams.get("rgb" if key == K.RGB else K.camera_name(key)) or {}
            name = entry.get("name") or K.camera_name(key)
            out[key] = f"{M.IMAGE_PREFIX}{name}"
    return out


def _tasks(store: TrajectoryStore, task: str | None) -> list[str]:
    """One task string per episode: ``task``, else the store's ``tasks``, else its env."""
    if task is not None:
        return [task] * store.num_episodes
    kept = store.attrs.get("tasks")
    if isinstance(kept, list) and len(kept) == store.num_episodes and all(kept):
        return [str(t[0]) for t in kept]
    env = (store.attrs.get("source") or {}).get("env")
    return [str(env or "unknown task")] * store.num_episodes


def _png(frame: np.ndarray) -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", np.ascontiguousarray(frame[..., ::-1]))
    if not ok:
        raise DatasetError("cannot encode a frame as PNG")
    return buf.tobytes()


def _info(
    store: TrajectoryStore, cams: dict[str, str], robot_type: str | None, n_tasks: int
) -> dict:
    features: dict[str, Any] = {}
    for key, feature in cams.items():
        shape = list(store.array(key).shape[1:])
        features[feature] = {"dtype": "image", "shape": shape,
                             "names": ["height", "width", "channels"]}  # fmt: skip
    for key, feature in ((K.STATE, "observation.state"), (K.ACTION, "action")):
        names = (store.attrs["features"].get(key) or {}).get("names")
        dim = int(store.array(key).shape[1])
        features[feature] = {"dtype": "float32", "shape": [dim], "names": names}
    features["timestamp"] = {"dtype": "float32", "shape": [1], "names": None}
    for col in _LIBRARY_COLUMNS[1:]:
        features[col] = {"dtype": "int64", "shape": [1], "names": None}
    e, n = store.num_episodes, store.num_steps
    return {
        "codebase_version": M.ACCEPTED_VERSION, "robot_type": robot_type,
        "total_episodes": e, "total_frames": n, "total_tasks": n_tasks, "chunks_size": 1000,
        "data_files_size_in_mb": 100, "video_files_size_in_mb": 200, "fps": store.fps,
        "splits": {"train": f"0:{e}"}, "data_path": M.DATA_PATH, "video_path": None,
        "features": features,
    }  # fmt: skip


def _hf_metadata(info: dict) -> bytes:
    """The ``huggingface`` schema metadata the datasets library reads the columns with."""
    feats: dict[str, Any] = {}
    for name, f in info["features"].items():
        if f["dtype"] == "image":
            feats[name] = {"_type": "Image"}
        elif f["shape"] == [1]:
            feats[name] = {"dtype": f["dtype"], "_type": "Value"}
        else:
            feats[name] = {"feature": {"dtype": f["dtype"], "_type": "Value"},
                           "length": f["shape"][0], "_type": "List"}  # fmt: skip
    return json.dumps({"info": {"features": feats}}).encode()


def _stats(values: np.ndarray) -> dict[str, list]:
    """LeRobot's per-feature stats of values [N, D] (lists of D)."""
    v = values.astype(np.float64)
    out = {"min": v.min(0), "max": v.max(0), "mean": v.mean(0), "std": v.std(0)}
    out |= {k: np.quantile(v, q, axis=0) for k, q in QUANTILES.items()}
    return {k: x.tolist() for k, x in out.items()} | {"count": [len(v)]}


def _image_stats(frames: np.ndarray) -> dict[str, list]:
    """Per-channel stats of uint8 frames [N, H, W, 3] in [0, 1], shaped [3, 1, 1] as lerobot."""
    per_pixel = frames.reshape(-1, 3).astype(np.float64) / 255.0
    return {
        k: [[[x]] for x in v] if k != "count" else [len(frames)]
        for k, v in _stats(per_pixel).items()
    }


def _tables(
    store: TrajectoryStore, cams: dict[str, str], tasks: list[str], info: dict
) -> tuple[Any, list[dict[str, Any]]]:
    """The data table (every row) and the meta/episodes rows."""
    import pyarrow as pa

    task_index = {t: i for i, t in enumerate(dict.fromkeys(tasks))}
    columns: dict[str, list[Any]] = {f: [] for f in info["features"]}
    episodes = []
    for e in range(store.num_episodes):
        ep = store.episode(e)
        start, n = int(store.episode_slice(e).start), len(ep[K.ACTION])
        for key, feature in cams.items():
            columns[feature] += [
                {"bytes": _png(f), "path": f"frame-{start + t:06d}.png"}
                for t, f in enumerate(ep[key])
            ]
        columns["observation.state"] += list(ep[K.STATE].astype(np.float32))
        columns["action"] += list(ep[K.ACTION].astype(np.float32))
        columns["timestamp"] += list(ep[K.TIMESTAMP].astype(np.float32))
        columns["frame_index"] += list(range(n))
        columns["episode_index"] += [e] * n
        columns["index"] += list(range(start, start + n))
        columns["task_index"] += [task_index[tasks[e]]] * n
        episodes.append({
            "episode_index": e, "tasks": [tasks[e]], "length": n, "data/chunk_index": 0,
            "data/file_index": 0, "dataset_from_index": start, "dataset_to_index": start + n,
            "meta/episodes/chunk_index": 0, "meta/episodes/file_index": 0,
        })  # fmt: skip
    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    fields = []
    for name, f in info["features"].items():
        if f["dtype"] == "image":
            fields.append(pa.field(name, image))
        elif f["shape"] == [1]:
            fields.append(pa.field(name, pa.float32() if f["dtype"] == "float32" else pa.int64()))
        else:
            fields.append(pa.field(name, pa.list_(pa.float32(), f["shape"][0])))
    schema = pa.schema(fields, metadata={"huggingface": _hf_metadata(info)})
    return pa.table(columns, schema=schema), episodes


def _tasks_table(tasks: list[str]) -> pa.Table:
    """meta/tasks.parquet as pandas writes it: task strings in the index column."""
    import pyarrow as pa

    unique = list(dict.fromkeys(tasks))
    pandas_meta = {
        "index_columns": ["__index_level_0__"],
        "column_indexes": [{"name": None, "field_name": None, "pandas_type": "unicode",
                            "numpy_type": "str", "metadata": {"encoding": "UTF-8"}}],
        "columns": [
            {"name": "task_index", "field_name": "task_index", "pandas_type": "int64",
             "numpy_type": "int64", "metadata": None},
            {"name": None, "field_name": "__index_level_0__", "pandas_type": "object",
             "numpy_type": "str", "metadata": None},
        ],
        "attributes": {}, "creator": {"library": "pyarrow", "version": pa.__version__},
    }  # fmt: skip
    schema = pa.schema(
        [("task_index", pa.int64()), ("__index_level_0__", pa.large_string())],
        metadata={"pandas": json.dumps(pandas_meta).encode()},
    )
    return pa.table({"task_index": list(range(len(unique))), "__index_level_0__": unique},
                    schema=schema)  # fmt: skip


def export_lerobot(
    store_path: str | Path,
    root: str | Path,
    *,
    robot_type: str | None = None,
    task: str | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write the store at ``store_path`` as a LeRobot v3.0 dataset in the new folder ``root``.

    task: the task string of every episode (default: the store's ``tasks`` attribute, as
    import-lerobot keeps it, else the env name). Returns a JSON-able summary. Raises
    DatasetError / StoreError (one line).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    store = TrajectoryStore.open(store_path)
    if store.num_episodes == 0:
        raise DatasetError(f"{store_path}: the store has no episodes to export")
    root = Path(root)
    if root.exists():
        if not overwrite:
            raise DatasetError(f"{root}: already exists (pass --overwrite to replace it)")
        if not (root / "meta" / "info.json").is_file():
            raise DatasetError(
                f"{root}: exists and is not a LeRobot dataset; refusing to replace it"
            )
        shutil.rmtree(root)
    cams = _camera_features(store)
    tasks = _tasks(store, task)
    robot = robot_type or (store.attrs.get("source") or {}).get("robot_type")
    info = _info(store, cams, robot, len(dict.fromkeys(tasks)))
    data, episodes = _tables(store, cams, tasks, info)
    for sub in ("data/chunk-000", "meta/episodes/chunk-000"):
        (root / sub).mkdir(parents=True)
    pq.write_table(data, root / DATA_FILE)
    pq.write_table(pa.Table.from_pylist(episodes), root / EPISODES_FILE)
    pq.write_table(_tasks_table(tasks), root / "meta" / "tasks.parquet")
    (root / "meta" / "info.json").write_text(json.dumps(info, indent=4))
    stats = {
        "observation.state": _stats(store.read_all(K.STATE)),
        "action": _stats(store.read_all(K.ACTION)),
    }
    for key, feature in cams.items():
        arr = store.array(key)
        pick = np.unique(np.linspace(0, store.num_steps - 1, min(100, store.num_steps)).astype(int))
        stats[feature] = _image_stats(np.stack([np.asarray(arr[int(i)]) for i in pick]))
    for col in _LIBRARY_COLUMNS:
        stats[col] = _stats(np.asarray(data[col].to_pylist(), dtype=np.float64)[:, None])
    (root / "meta" / "stats.json").write_text(json.dumps(stats, indent=4))
    return {"store": str(store_path), "root": str(root), "codebase_version": M.ACCEPTED_VERSION,
            "episodes": store.num_episodes, "frames": store.num_steps,
            "cameras": cams, "tasks": list(dict.fromkeys(tasks))}  # fmt: skip
