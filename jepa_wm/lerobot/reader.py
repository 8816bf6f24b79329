"""Episodes of a LeRobot v3 dataset, in the trajectory store's layout.

Usage::

    reader = LeRobotReader("datasets/pick", cameras=["front", "wrist"])
    ep = reader.episode(0)    # {"rgb": uint8 [T,H,W,3], "rgb_wrist": ..., "state": [T,S], ...}

Alignment: a LeRobot row ``t`` holds ``observation.*[t]`` and ``action[t]``, the command sent
after that observation, which is the store's convention too (``action[t]`` leads to
``state[t+1]``). Rows are copied, never shifted. The first camera becomes ``rgb``, the others
``rgb_<name>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from jepa_wm.data import keys as K
from jepa_wm.errors import DatasetError
from jepa_wm.lerobot import meta as M
from jepa_wm.lerobot.frames import decode_images, decode_segment

if TYPE_CHECKING:
    import pyarrow as pa


class LeRobotReader:
    """Read-only view of a local LeRobot v3 dataset. Raises DatasetError (one line)."""

    def __init__(
        self,
        root: str | Path,
        *,
        cameras: list[str] | None = None,
        state_key: str = "observation.state",
        action_key: str = "action",
    ) -> None:
        self.info = M.read_info(root)
        self.episodes = M.read_episodes(self.info)
        self.tasks = M.read_tasks(self.info)
        self.camera_features = self._resolve_cameras(cameras)
        self.state_key = self._vector_feature(state_key, "--state")
        self.action_key = self._vector_feature(action_key, "--action")
        self._table_path: Path | None = None
        self._table: pa.Table | None = None

    # ---------------------------------------------------------------- features
    def _resolve_cameras(self, cameras: list[str] | None) -> list[str]:
        available = self.info.cameras
        if not available:
            raise DatasetError(f"{self.info.root}: the dataset has no image or video feature")
        if not cameras:
            return available
        by_name = {K.camera_name(f): f for f in available}
        chosen = []
        for cam in cameras:
            feature = cam if cam in available else by_name.get(cam)
            if feature is None:
                valid = ", ".join(by_name)
                raise DatasetError(f"{self.info.root}: no camera {cam!r}; cameras: {valid}")
            chosen.append(feature)
        return chosen

    def _vector_feature(self, key: str, flag: str) -> str:
        feat = self.info.features.get(key)
        if feat is None:
            vectors = [
                k for k, f in self.info.features.items() if f.get("dtype") in ("float32", "float64")
            ]
            raise DatasetError(
                f"{self.info.root}: no feature {key!r} (pick one with {flag}: {', '.join(vectors)})"
            )
        if feat.get("dtype") not in ("float32", "float64") or len(feat.get("shape", [])) != 1:
            raise DatasetError(
                f"{self.info.root}: {key} is {feat.get('dtype')} {feat.get('shape')}, "
                f"not a float vector"
            )
        return key

    def store_key(self, feature: str) -> str:
        """Store key of a camera feature: ``rgb`` for the first camera, ``rgb_<name>`` after."""
        if feature == self.camera_features[0]:
            return "rgb"
        return f"rgb_{K.camera_name(feature)}"

    # ---------------------------------------------------------------- episodes
    def __len__(self) -> int:
        return len(self.episodes)

    def episode_tasks(self, i: int) -> list[str]:
        """The task strings of episode ``i``."""
        return [str(t) for t in (self.episodes[i].get("tasks") or [])]

    def _rows(self, ep: dict[str, Any]) -> dict[str, list[Any]]:
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        path = M.data_file(self.info, ep)
        if path != self._table_path:
            if not path.is_file():
                raise DatasetError(f"{path}: data file not found")
            self._table, self._table_path = pq.read_table(path), path
        table = self._table
        rows = table.filter(pc.equal(table["episode_index"], ep["episode_index"]))
        rows = rows.sort_by("frame_index").to_pydict()
        if len(rows["frame_index"]) != ep["length"] or rows["frame_index"] != list(
            range(ep["length"])
        ):
            raise DatasetError(
                f"{path}: episode {ep['episode_index']} has {len(rows['frame_index'])} rows with "
                f"frame_index not 0..{ep['length'] - 1} (meta/episodes says length {ep['length']})"
            )
        return rows

    def episode(self, i: int) -> dict[str, np.ndarray]:
        """Episode ``i`` as a store episode: rgb uint8 [T,H,W,3], state/action float32 [T,D],
        timestamp float64 [T] (s, from the episode's start)."""
        ep = self.episodes[i]
        rows = self._rows(ep)
        timestamp = np.asarray(rows["timestamp"], dtype=np.float64).reshape(-1)
        out = {
            "state": np.asarray(rows[self.state_key], dtype=np.float32),
            "action": np.asarray(rows[self.action_key], dtype=np.float32),
            "timestamp": timestamp,
        }
        for feature in self.camera_features:
            out[self.store_key(feature)] = self._frames(ep, feature, rows, timestamp)
        return out

    def _frames(
        self, ep: dict[str, Any], feature: str, rows: dict[str, list[Any]], timestamp: np.ndarray
    ) -> np.ndarray:
        if self.info.features[feature]["dtype"] == "image":
            return decode_images(rows[feature], f"{self.info.root} {feature}")
        start = float(ep[f"videos/{feature}/from_timestamp"])
        # lerobot's loader queries the video at from_timestamp + timestamp[t]; so do we.
        return decode_segment(M.video_file(self.info, ep, feature), start + timestamp)

    def cameras_attr(self) -> dict[str, dict[str, Any]]:
        """The store's ``cameras`` attribute: ``rgb`` (first camera) and ``<name>`` for others."""
        cams = {}
        for feature in self.camera_features:
            feat = self.info.features[feature]
            key = self.store_key(feature)
            cams["rgb" if key == "rgb" else key[4:]] = {
                "name": K.camera_name(feature),
                "lerobot_feature": feature,
                "storage": feat["dtype"],
                "shape": feat.get("shape"),
                "codec": (feat.get("info") or {}).get("video.codec"),
            }
        return cams
