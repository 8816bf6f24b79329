"""Random clips of T frames (with a frame skip) from one or more trajectory stores.

Usage::

    train_eps, val_eps = split_episodes(store.num_episodes, val_fraction=0.1, seed=0)
    ds = ClipDataset(["demo.zarr"], clip_len=8, frame_skip=2, episodes=[train_eps])
    loader = DataLoader(ds, batch_size=32, shuffle=True, num_workers=2)

Item ``i`` is the ``i``-th valid (store, episode, start frame) triple; shuffle the loader for
random clips. A clip never crosses an episode boundary. With frame skip ``k`` the sampled
frames are ``t_j = start + j*k`` and the action between two sampled frames is the SUM of the
``k`` per-step actions ``action[t_j : t_j + k]``: for delta actions (end-effector deltas, base
displacements) the sum is the command that moves frame ``t_j`` to ``t_{j+1}``.

Stores are opened lazily in each process (DataLoader workers included); state and action are
held in memory per process, rgb frames are read per clip (one chunk per frame).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from jepa_wm.data import keys as K
from jepa_wm.data.frames import ChunkDecodeError, FrameReader
from jepa_wm.data.location import as_location
from jepa_wm.data.store import TrajectoryStore
from jepa_wm.errors import ConfigError, StoreError


def split_episodes(
    num_episodes: int, val_fraction: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint sorted int64 arrays (train, val) of episode indices.

    With ``val_fraction > 0`` and at least two episodes, val holds at least one episode and
    train keeps at least one.
    """
    if num_episodes < 1:
        raise StoreError("cannot split zero episodes")
    if not 0.0 <= val_fraction < 1.0:
        raise ConfigError(f"val_fraction must be in [0, 1), got {val_fraction}")
    perm = np.random.default_rng(seed).permutation(num_episodes).astype(np.int64)
    n_val = int(round(num_episodes * val_fraction))
    if val_fraction > 0 and num_episodes >= 2:
        n_val = min(max(n_val, 1), num_episodes - 1)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


class _Opened:
    """Per-process handles of one store: rgb readers plus in-memory state and action."""

    def __init__(self, path: Path, rgb_keys: Sequence[str]) -> None:
        self.store = TrajectoryStore.open(path, "r")
        self.rgb = {k: FrameReader(self.store.array(k), path) for k in rgb_keys}
        # state/action are tiny next to rgb: one read per process beats a zarr call per clip.
        self.state = self.store.read_all(K.STATE)
        self.action = self.store.read_all(K.ACTION)


class ClipDataset(Dataset):
    """Clips ``{"rgb": uint8 [T,H,W,3], "state": f32 [T,S], "action": f32 [T-1,A],
    "episode": int64, "frame": int64 (start frame in the episode), "store": int64,
    "rgb_<cam>": uint8 [T,H,W,3] if requested}`` as torch tensors. With ``stack_views`` the
    requested views come as one ``"rgb"``: uint8 [T,V,H,W,3] in ``rgb_keys`` order (what a
    multi-view world model encodes; one view stays [T,H,W,3]).
    """

    def __init__(
        self,
        stores: Sequence[str | Path],
        clip_len: int,
        frame_skip: int = 1,
        episodes: list[np.ndarray] | None = None,
        rgb_keys: tuple[str, ...] = ("rgb",),
        stack_views: bool = False,
    ) -> None:
        if isinstance(stores, str | Path):
            stores = [stores]
        self.paths = [as_location(p) for p in stores]
        if not self.paths:
            raise ConfigError("ClipDataset needs at least one store")
        if clip_len < 1 or frame_skip < 1:
            raise ConfigError(f"clip_len and frame_skip must be >= 1, got {clip_len}, {frame_skip}")
        if episodes is not None and len(episodes) != len(self.paths):
            raise ConfigError(f"episodes has {len(episodes)} entries for {len(self.paths)} stores")
        for key in rgb_keys:
            if not K.is_rgb_key(key):
                raise ConfigError(f"rgb_keys entry {key!r} is not rgb or rgb_<camera>")
        self.clip_len, self.frame_skip, self.rgb_keys = clip_len, frame_skip, tuple(rgb_keys)
        self.stack_views = bool(stack_views) and len(self.rgb_keys) > 1
        self.span = (clip_len - 1) * frame_skip + 1  # frames a clip covers
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.attrs: list[dict] = []
        self._longest = 0
        parts = [self._index_store(i, p, episodes) for i, p in enumerate(self.paths)]
        self._ep_store, self._ep_index, self._ep_n = (
            np.concatenate(cols).astype(np.int64) for cols in zip(*parts, strict=True)
        )
        self._cum = np.cumsum(self._ep_n)
        if len(self) == 0:
            raise StoreError(
                f"no episode is long enough for clip_len={clip_len}, frame_skip={frame_skip} "
                f"(a clip needs {self.span} frames; longest selected episode has "
                f"{self._longest} frames)"
            )
        self._pid: int | None = None
        self._opened: list[_Opened] = []

    def _index_store(
        self, si: int, path: Path, episodes: list[np.ndarray] | None
    ) -> tuple[np.ndarray, ...]:
        st = TrajectoryStore.open(path, "r")
        if st.num_episodes == 0:
            raise StoreError(f"{path}: store is empty (0 episodes); nothing to train on")
        for key in (*self.rgb_keys, K.STATE, K.ACTION):
            if key not in st.keys:
                raise StoreError(f"{path}: no data/{key}; keys: {', '.join(st.keys)}")
            shape = tuple(st.array(key).shape[1:])
            if self.shapes.setdefault(key, shape) != shape:
                raise StoreError(
                    f"{path}: data/{key} has per-step shape {shape}, other stores have "
                    f"{self.shapes[key]}"
                )
        self.attrs.append(st.attrs)
        eps = np.arange(st.num_episodes) if episodes is None else np.asarray(episodes[si])
        eps = eps.astype(np.int64).reshape(-1)
        if len(eps) and (eps.min() < 0 or eps.max() >= st.num_episodes):
            raise ConfigError(f"{path}: episode index out of range ({st.num_episodes} episodes)")
        lengths = st.episode_lengths[eps]
        self._longest = max(self._longest, int(lengths.max(initial=0)))
        n_clips = np.maximum(lengths - self.span + 1, 0)
        keep = n_clips > 0
        return np.full(keep.sum(), si), eps[keep], n_clips[keep]

    def __len__(self) -> int:
        return int(self._cum[-1]) if len(self._cum) else 0

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_opened"], state["_pid"] = [], None  # reopened lazily in the new process
        return state

    def _handles(self, si: int) -> _Opened:
        if self._pid != os.getpid():  # first use in this process (or a forked worker)
            self._opened = [_Opened(p, self.rgb_keys) for p in self.paths]
            self._pid = os.getpid()
        return self._opened[si]

    def locate(self, i: int) -> tuple[int, int, int]:
        """Item ``i`` -> (store index, episode index, start frame within the episode)."""
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"clip {i} out of range ({n} clips)")
        i %= n
        j = int(np.searchsorted(self._cum, i, side="right"))
        offset = i - int(self._cum[j] - self._ep_n[j])
        return int(self._ep_store[j]), int(self._ep_index[j]), offset

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        si, ep, offset = self.locate(i)
        h = self._handles(si)
        first = int(h.store.episode_slice(ep).start) + offset
        frames = first + np.arange(self.clip_len, dtype=np.int64) * self.frame_skip
        item: dict[str, torch.Tensor] = {}
        for key, reader in h.rgb.items():
            try:
                item[key] = torch.from_numpy(reader.read(frames))
            except ChunkDecodeError as exc:
                raise StoreError(
                    f"{self.paths[si]}: data/{key} is corrupt in episode {ep}: {exc}"
                ) from None
        if self.stack_views:
            item["rgb"] = torch.stack([item.pop(k) for k in self.rgb_keys], dim=1)
        act = h.action[first : first + (self.clip_len - 1) * self.frame_skip]
        act = act.reshape(self.clip_len - 1, self.frame_skip, -1).sum(axis=1, dtype=np.float32)
        item["state"] = torch.from_numpy(np.ascontiguousarray(h.state[frames]))
        item["action"] = torch.from_numpy(act)
        # 0-d int64 tensors via numpy: half the cost of torch.tensor(int) per call.
        item["episode"] = torch.from_numpy(np.array(ep, dtype=np.int64))
        item["frame"] = torch.from_numpy(np.array(offset, dtype=np.int64))
        item["store"] = torch.from_numpy(np.array(si, dtype=np.int64))
        return item
