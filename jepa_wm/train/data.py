"""Training data: stores -> train/val clip datasets, normalisation stats, batch hygiene.

Usage::

    data = prepare_data(["a.zarr", "b.zarr"], clip_len=4, frame_skip=1, val_fraction=0.1, seed=0)
    data.train, data.val        # ClipDataset over disjoint episodes of every store
    data.stats                  # {"action": {"mean","std"}, "state": {...}} pooled over stores
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

from jepa_wm.errors import StoreError

if TYPE_CHECKING:
    from jepa_wm.data.clips import ClipDataset
    from jepa_wm.data.store import TrajectoryStore
    from jepa_wm.train.latent_cache import LatentClips


@dataclass
class TrainData:
    """Datasets and metadata derived from one or more stores."""

    train: ClipDataset | LatentClips  # LatentClips once a stage trains on cached latents
    val: ClipDataset | LatentClips
    stats: dict[str, dict[str, list[float]]]
    action_dim: int
    state_dim: int
    action_low: list[float]
    action_high: list[float]
    sources: list[dict[str, Any]]


def _finite_rows(x: np.ndarray) -> np.ndarray:
    return x[np.isfinite(x).all(axis=1)]


def _store_moments(
    st: TrajectoryStore, key: str
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(count, mean, var, q01, q99) of data/<key>; attrs["stats"] when present, else computed."""
    stats = (st.attrs.get("stats") or {}).get(key)
    if stats and all(k in stats for k in ("mean", "std")):
        n = int(stats.get("count", st.num_steps))
        mean, std = np.asarray(stats["mean"]), np.asarray(stats["std"])
        lo = np.asarray(stats.get("q01", stats.get("min", mean - 3 * std)))
        hi = np.asarray(stats.get("q99", stats.get("max", mean + 3 * std)))
        return n, mean, std**2, lo, hi
    # read_all: committed steps only (a writer killed mid-episode leaves rows past the end).
    x = _finite_rows(np.asarray(st.read_all(key), dtype=np.float64).reshape(st.num_steps, -1))
    if len(x) == 0:
        raise StoreError(f"{st.path}: data/{key} has no finite rows")
    q01, q99 = np.quantile(x, [0.01, 0.99], axis=0)
    return len(x), x.mean(0), x.var(0), q01, q99


def pooled_stats(
    stores: list[TrajectoryStore],
) -> tuple[dict[str, dict[str, list[float]]], list[float], list[float]]:
    """Mean/std of state and action pooled over stores (count-weighted), plus action bounds.

    Action bounds are the widest q01/q99 over the stores (used by offline action recovery).
    """
    out: dict[str, dict[str, list[float]]] = {}
    bounds: tuple[list[float], list[float]] = ([], [])
    for key in ("action", "state"):
        parts = [_store_moments(st, key) for st in stores]
        n = np.array([p[0] for p in parts], dtype=np.float64)
        means = np.stack([p[1] for p in parts])
        mean = (n[:, None] * means).sum(0) / n.sum()
        # Pooled variance: within-store variance plus the spread of the store means.
        var = (n[:, None] * (np.stack([p[2] for p in parts]) + (means - mean) ** 2)).sum(
            0
        ) / n.sum()
        out[key] = {"mean": mean.tolist(), "std": np.sqrt(var).tolist()}
        if key == "action":
            bounds = (
                np.min([p[3] for p in parts], 0).tolist(),
                np.max([p[4] for p in parts], 0).tolist(),
            )
    return out, bounds[0], bounds[1]


def open_stores(paths: list[str | Path]) -> list[TrajectoryStore]:
    """Open every store read-only; refuse empty ones and mismatched state/action dims."""
    from jepa_wm.data.store import TrajectoryStore

    if not paths:
        raise StoreError("no training store given (use --data STORE)")
    stores = [TrajectoryStore.open(p, mode="r") for p in paths]
    dims = set()
    for st in stores:
        if st.num_episodes == 0:
            raise StoreError(f"{st.path}: store has no episodes")
        for key in ("rgb", "state", "action"):
            if key not in st.keys:
                raise StoreError(f"{st.path}: missing data/{key}")
        dims.add((st.array("action").shape[1], st.array("state").shape[1]))
    if len(dims) > 1:
        raise StoreError(f"stores disagree on (action_dim, state_dim): {sorted(dims)}")
    return stores


def prepare_data(
    paths: list[str | Path],
    clip_len: int,
    frame_skip: int,
    val_fraction: float,
    seed: int,
    views: tuple[str, ...] = ("rgb",),
) -> TrainData:
    """Split each store's episodes into train/val and build the clip datasets; ``views`` are the
    camera keys the model sees (several come stacked as "rgb" [T,V,H,W,3])."""
    from jepa_wm.data.clips import ClipDataset, split_episodes

    stores = open_stores(paths)
    span = (clip_len - 1) * frame_skip + 1
    longest = max(int(np.max(st.episode_lengths)) for st in stores)
    if longest < span:
        raise StoreError(
            f"clips of {clip_len} frames with frame_skip {frame_skip} need episodes of >= {span} "
            f"steps; the longest episode has {longest}"
        )
    train_eps, val_eps = [], []
    for st in stores:
        if st.num_episodes < 2:
            raise StoreError(f"{st.path}: need >= 2 episodes to hold some out for validation")
        tr, va = split_episodes(st.num_episodes, val_fraction=val_fraction, seed=seed)
        train_eps.append(np.asarray(tr))
        val_eps.append(np.asarray(va))
    stats, low, high = pooled_stats(stores)
    a_dim, s_dim = stores[0].array("action").shape[1], stores[0].array("state").shape[1]
    sources = [
        {"path": str(st.path), "episodes": st.num_episodes, "source": st.attrs.get("source")}
        for st in stores
    ]
    return TrainData(
        train=ClipDataset(
            [st.path for st in stores], clip_len, frame_skip, train_eps, views, stack_views=True
        ),
        val=ClipDataset(
            [st.path for st in stores], clip_len, frame_skip, val_eps, views, stack_views=True
        ),
        stats=stats,
        action_dim=a_dim,
        state_dim=s_dim,
        action_low=low,
        action_high=high,
        sources=sources,
    )


Inputs = Literal["frames", "latents"]
"""What a stage trains on: uint8 frames, or latents cached from a frozen encoder (latent_cache)."""

_INPUT_KEYS: dict[str, Inputs] = {"rgb": "frames", "latents": "latents"}


@dataclass(frozen=True)
class Batch:
    """One batch of clips for an objective, on its device.

    x: uint8 frames [B,T,H,W,3] ([B,T,V,H,W,3] with V camera views) when ``inputs`` is
    "frames", or cached latents f32 [B,T,P,D] when "latents"; state f32 [B,T,S];
    action f32 [B,T-1,A].
    """

    x: torch.Tensor
    state: torch.Tensor
    action: torch.Tensor
    inputs: Inputs

    @classmethod
    def collate(cls, raw: dict[str, torch.Tensor], device: torch.device | str) -> Batch:
        """From a DataLoader batch of ClipDataset items ("rgb": frames) or of LatentClips
        items ("latents"); ValueError when it has neither or both."""
        keys = [k for k in _INPUT_KEYS if k in raw]
        if len(keys) != 1:
            raise ValueError(f"a batch needs exactly one of rgb, latents; it has {sorted(raw)}")
        key = keys[0]
        return cls(
            raw[key].to(device), raw["state"].to(device), raw["action"].to(device), _INPUT_KEYS[key]
        )

    def __len__(self) -> int:
        return len(self.state)

    def drop_nonfinite(self) -> tuple[Batch, int]:
        """The clips with finite state and action (see :func:`drop_nonfinite`), and the count
        dropped."""
        clean, dropped = drop_nonfinite({"x": self.x, "state": self.state, "action": self.action})
        if not dropped:
            return self, 0
        return Batch(clean["x"], clean["state"], clean["action"], self.inputs), dropped


def drop_nonfinite(batch: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], int]:
    """Remove clips with NaN/inf state or action; returns the clean batch and the drop count."""
    ok = torch.isfinite(batch["state"]).flatten(1).all(1) & torch.isfinite(batch["action"]).flatten(
        1
    ).all(1)
    dropped = int((~ok).sum())
    if dropped:
        batch = {k: v[ok] for k, v in batch.items()}
    return batch, dropped
