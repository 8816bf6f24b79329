"""Checks on episodes before they are written and on a store's index when it is opened.

Everything here raises ``StoreError`` with a message that names the key (and the episode or
step) at fault, so the CLI can print it as one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from jepa_wm.data import keys as K
from jepa_wm.errors import StoreError


def validate_episode(
    episode: Mapping[str, Any], existing: Mapping[str, tuple[int, ...]]
) -> tuple[dict[str, np.ndarray], int]:
    """Validate and convert one episode; nothing is written.

    episode:  {"rgb": uint8 [T,H,W,3], "state": [T,S], "action": [T,A], "timestamp": [T],
               optional "rgb_<cam>": uint8 [T,H,W,3]}. Floating/integer state, action and
               timestamp are cast to float32/float32/float64; rgb must already be uint8.
    existing: per-step shapes of the arrays already in the store ({} for an empty store).
    Returns the converted arrays and T.
    """
    if not isinstance(episode, Mapping):
        raise StoreError(f"an episode must be a dict of arrays, got {type(episode).__name__}")
    _check_key_set(set(episode), set(existing))
    out: dict[str, np.ndarray] = {}
    lengths: dict[str, int] = {}
    for key, value in episode.items():
        arr = _convert(key, value)
        if existing and tuple(arr.shape[1:]) != tuple(existing[key]):
            raise StoreError(
                f"episode {key} has per-step shape {tuple(arr.shape[1:])}, "
                f"the store has {tuple(existing[key])}"
            )
        out[key] = arr
        lengths[key] = int(arr.shape[0])
    if len(set(lengths.values())) != 1:
        detail = ", ".join(f"{k}={n}" for k, n in sorted(lengths.items()))
        raise StoreError(f"episode keys have different lengths: {detail}")
    length = next(iter(lengths.values()))
    if length < 1:
        raise StoreError("episode has no steps (T=0)")
    return out, length


def _check_key_set(got: set[str], existing: set[str]) -> None:
    for key in sorted(got):
        try:
            K.expected_dtype(key)
        except KeyError as exc:
            raise StoreError(f"episode has {exc.args[0]}") from None
    missing = [k for k in K.REQUIRED_KEYS if k not in got]
    if missing:
        raise StoreError(
            f"episode is missing key(s) {', '.join(missing)}; required: {', '.join(K.REQUIRED_KEYS)}"
        )
    if existing and got != existing:
        raise StoreError(
            f"episode keys {sorted(got)} differ from the store's keys {sorted(existing)}"
        )


def _convert(key: str, value: Any) -> np.ndarray:
    arr = np.asarray(value)
    want = K.expected_dtype(key)
    ndim = K.expected_ndim(key)
    if arr.ndim != ndim:
        raise StoreError(f"episode {key} must have {ndim} dims, got shape {arr.shape}")
    if K.is_rgb_key(key):
        if arr.dtype != np.uint8:
            raise StoreError(f"episode {key} must be uint8 [T,H,W,3], got dtype {arr.dtype}")
        if arr.shape[-1] != 3:
            raise StoreError(f"episode {key} must be [T,H,W,3], got shape {arr.shape}")
        return np.ascontiguousarray(arr)
    if arr.dtype.kind not in "fiu":
        raise StoreError(f"episode {key} must be numeric ({want}), got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=want)
    bad = ~np.isfinite(arr)
    if bad.any():
        step = int(np.argwhere(bad)[0][0])
        raise StoreError(f"episode {key} has NaN or inf (first at step {step}); nothing written")
    return arr


def check_array(path: str, key: str, dtype: np.dtype, shape: tuple[int, ...]) -> None:
    """Dtype and rank of an on-disk ``data/<key>`` array."""
    try:
        want = K.expected_dtype(key)
    except KeyError:
        raise StoreError(f"{path}: data/{key} is not a key of this format") from None
    if np.dtype(dtype) != want:
        raise StoreError(f"{path}: data/{key} has dtype {dtype}, expected {want}")
    if len(shape) != K.expected_ndim(key) or (K.is_rgb_key(key) and shape[-1] != 3):
        raise StoreError(f"{path}: data/{key} has unexpected shape {shape}")


def committed_episodes(path: str, ends: np.ndarray, lengths: Mapping[str, int]) -> int:
    """How many entries of ``meta/episode_ends`` are committed and consistent with the data.

    A trailing 0 (the fill value) is an interrupted commit (``episode_ends`` was resized but
    its value never written) and is not counted. Any other inconsistency is
    corruption and raises StoreError.
    """
    n = len(ends)
    if n and ends[-1] == 0:
        n -= 1  # interrupted commit: the fill value 0 where the new end should be
    ends = ends[:n]
    if n:
        diffs = np.diff(np.concatenate([[0], ends]))
        if (diffs <= 0).any():
            bad = int(np.argmax(diffs <= 0))
            raise StoreError(f"{path}: meta/episode_ends is not increasing at episode {bad}")
        missing = [k for k in K.REQUIRED_KEYS if k not in lengths]
        if missing:
            raise StoreError(f"{path}: store has episodes but no data/{missing[0]}")
    total = int(ends[-1]) if n else 0
    for key, length in sorted(lengths.items()):
        if length < total:
            raise StoreError(
                f"{path}: data/{key} has {length} steps but meta/episode_ends says {total} "
                f"(inconsistent lengths)"
            )
    return n
