"""Names and format constants of the trajectory store, defined once.

Layout (diffusion_policy's ReplayBuffer)::

    <store>/data/rgb          uint8   [N, H, W, 3]   one chunk per frame
    <store>/data/rgb_<cam>    uint8   [N, H, W, 3]   extra cameras (e.g. rgb_wrist)
    <store>/data/state        float32 [N, S]
    <store>/data/action       float32 [N, A]
    <store>/data/timestamp    float64 [N]            seconds
    <store>/meta/episode_ends int64   [E]            cumulative; episode i is [ends[i-1], ends[i])

``N`` is the total number of steps over all episodes. Root attributes hold the metadata
(``format``, ``format_version``, ``fps``, ``features``, ``cameras``, ``source``, ``stats``).
"""

from __future__ import annotations

import re

import numpy as np

FORMAT_NAME = "jepa-wm-trajectory"
FORMAT_VERSION = 1

DATA_GROUP = "data"
META_GROUP = "meta"
EPISODE_ENDS = "episode_ends"
EPISODE_ENDS_PATH = f"{META_GROUP}/{EPISODE_ENDS}"

RGB = "rgb"
STATE = "state"
ACTION = "action"
TIMESTAMP = "timestamp"
CAMERA_PREFIX = "rgb_"

REQUIRED_KEYS: tuple[str, ...] = (RGB, STATE, ACTION, TIMESTAMP)
# Keys whose normalisation statistics compute_stats() keeps (LeRobot's mean/std/min/max/q01/q99).
STATS_KEYS: tuple[str, ...] = (STATE, ACTION)
STAT_NAMES: tuple[str, ...] = ("mean", "std", "min", "max", "q01", "q99")

# Reserved root attributes that update_attrs() may not overwrite.
RESERVED_ATTRS: frozenset[str] = frozenset({"format", "format_version"})


def is_rgb_key(key: str) -> bool:
    """``rgb`` or ``rgb_<camera>``."""
    return key == RGB or (key.startswith(CAMERA_PREFIX) and len(key) > len(CAMERA_PREFIX))


def camera_name(key: str) -> str:
    """The camera a key names: a store key ``rgb`` -> ``main``, ``rgb_wrist`` -> ``wrist``; a
    dataset feature (LeRobot's ``observation.images.front``) -> its last dotted part
    (``front``), with anything but letters, digits and ``_`` made ``_`` (a store key's suffix)."""
    if is_rgb_key(key):
        return "main" if key == RGB else key[len(CAMERA_PREFIX) :]
    return re.sub(r"[^A-Za-z0-9_]", "_", key.rsplit(".", 1)[-1])


def expected_dtype(key: str) -> np.dtype:
    """The on-disk dtype of ``data/<key>``; raises KeyError for a key the format does not know."""
    if is_rgb_key(key):
        return np.dtype(np.uint8)
    if key in _DTYPES:
        return _DTYPES[key]
    raise KeyError(
        f"unknown key {key!r}; valid keys: rgb, rgb_<camera>, {STATE}, {ACTION}, {TIMESTAMP}"
    )


_DTYPES = {
    STATE: np.dtype(np.float32),
    ACTION: np.dtype(np.float32),
    TIMESTAMP: np.dtype(np.float64),
}


def expected_ndim(key: str) -> int:
    """Number of dimensions of ``data/<key>`` including the time axis."""
    if is_rgb_key(key):
        return 4
    return 1 if key == TIMESTAMP else 2
