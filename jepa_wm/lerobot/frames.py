"""Camera frames of a LeRobot dataset: mp4 segments decoded with PyAV, or PNG bytes decoded by cv2.

Alignment (lerobot's own rule): the frame of data row ``t`` of an episode is the video frame whose
presentation time is ``from_timestamp + timestamp[t]``, within ``TOLERANCE_S`` (lerobot's default
``tolerance_s``). A frame missing at that time is an error, never a neighbour.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from jepa_wm.errors import DatasetError

TOLERANCE_S = 1e-4


def decode_segment(path: Path, times_s: np.ndarray) -> np.ndarray:
    """The frames of ``path`` at the presentation times ``times_s`` [T] (s): uint8 [T,H,W,3] RGB.

    Seeks to the key frame before ``times_s[0]`` and decodes only up to ``times_s[-1]``, so an
    episode costs its own frames, not the whole file. Raises DatasetError when the file is
    unreadable or a time has no frame within TOLERANCE_S.
    """
    import av

    if not path.is_file():
        raise DatasetError(f"{path}: video file not found")
    times_s = np.asarray(times_s, dtype=np.float64)
    first, last = float(times_s.min()), float(times_s.max())
    found: dict[int, np.ndarray] = {}
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if first > 0:
                container.seek(int(first / stream.time_base), stream=stream, backward=True)
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                if frame.time > last + TOLERANCE_S:
                    break
                hit = np.flatnonzero(np.abs(times_s - frame.time) <= TOLERANCE_S)
                if hit.size:
                    rgb = frame.to_ndarray(format="rgb24")
                    for i in hit:
                        found[int(i)] = rgb
    except av.error.FFmpegError as exc:
        raise DatasetError(f"{path}: cannot decode video: {exc}") from None
    missing = [i for i in range(len(times_s)) if i not in found]
    if missing:
        raise DatasetError(
            f"{path}: no frame at {times_s[missing[0]]:.4f} s (row {missing[0]} of the episode; "
            f"{len(missing)} of {len(times_s)} missing)"
        )
    return np.stack([found[i] for i in range(len(times_s))])


def decode_images(cells: list[Any], where: str) -> np.ndarray:
    """Image cells ``{"bytes": PNG/JPEG, "path": ...}`` [T] -> uint8 [T,H,W,3] RGB."""
    import cv2

    frames = []
    for t, cell in enumerate(cells):
        data = cell.get("bytes") if isinstance(cell, dict) else None
        if not data:
            raise DatasetError(f"{where}: row {t} has no embedded image bytes")
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            raise DatasetError(f"{where}: row {t} is not a decodable image")
        frames.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    try:
        return np.stack(frames)
    except ValueError:
        raise DatasetError(f"{where}: images of one camera differ in size") from None
