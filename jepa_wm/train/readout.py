"""Fit a world model's state read-out (latents of a frame -> its proprio state) on stores.

The encoder stays frozen: every frame is encoded once (``latent_cache.encode_stores``), then a
small MLP (:class:`jepa_wm.models.readout.StateReadout`) regresses the frame's state in the
model's normalised units with a smooth-L1 loss. Episodes are split into train and held-out as
training does (``split_episodes``), and the held-out error is reported in raw units, so the
read-out is judged on scenes it never saw.

Usage::

    model = load_world_model("models/tiny-wm")
    report = fit_state_readout(model, ["grasp.zarr", "reach.zarr"], hidden=256, steps=4000)
    save_checkpoint(model, "models/tiny-wm-ro", meta={"state_readout": report})
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from jepa_wm.data.clips import split_episodes
from jepa_wm.data.store import TrajectoryStore
from jepa_wm.errors import ConfigError
from jepa_wm.models.readout import StateReadout
from jepa_wm.models.world_model import JepaWorldModel
from jepa_wm.train.latent_cache import encode_stores


@dataclasses.dataclass(frozen=True)
class ReadoutConfig:
    """hidden: MLP width; steps / batch_size / lr: AdamW schedule; max_seconds: wall-clock cap
    (0 = none); val_fraction / seed: the episode split (the training default)."""

    hidden: int = 256
    steps: int = 4000
    batch_size: int = 256
    lr: float = 1e-3
    max_seconds: float = 0.0
    val_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.hidden < 1 or self.steps < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ConfigError("readout hidden, steps and batch_size must be >= 1 and lr > 0")


def _frames_and_states(
    model: JepaWorldModel, paths: Sequence[str | Path], cfg: ReadoutConfig, device: torch.device
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """(train, held-out) lists of (latents [n,P,D], states [n,S] raw) per store."""
    latents = encode_stores(model, list(paths), device)
    train, val = [], []
    for p, z in zip(paths, latents, strict=True):
        st = TrajectoryStore.open(p, mode="r")
        state = torch.from_numpy(st.read_all("state").astype(np.float32))
        if state.shape[1] != model.state_dim:
            raise ConfigError(f"{p}: state has {state.shape[1]} dims, the model {model.state_dim}")
        tr_eps, val_eps = split_episodes(st.num_episodes, cfg.val_fraction, cfg.seed)
        step_ep = np.repeat(np.arange(st.num_episodes), st.episode_lengths)
        for eps, out in ((tr_eps, train), (val_eps, val)):
            m = torch.from_numpy(np.isin(step_ep, eps))
            out.append((z[: len(step_ep)][m], state[m]))
    return train, val


def _errors(pred: torch.Tensor, true: torch.Tensor, names: Sequence[str]) -> dict[str, Any]:
    err = (pred - true).abs()
    out: dict[str, Any] = {"mae": {n: float(e) for n, e in zip(names, err.mean(0), strict=True)}}
    # an arm's state leads with the ee position (x, y, z), a base's with (x, y)
    k = 3 if true.shape[1] >= 7 else min(2, true.shape[1])
    out["position_error_m"] = float((pred[:, :k] - true[:, :k]).norm(dim=1).mean())
    return out


def fit_state_readout(
    model: JepaWorldModel,
    paths: Sequence[str | Path],
    cfg: ReadoutConfig | None = None,
    state_names: Sequence[str] | None = None,
    device: torch.device | str = "cpu",
) -> dict[str, Any]:
    """Train ``model.state_readout`` (created, or replaced) on the stores' frames.

    The model's config gains ``state_readout = cfg.hidden``; its other weights are untouched.
    Returns a JSON-able report: steps, seconds, frames, and the held-out error per state dim
    (raw units) next to the error of predicting the training mean. Raises ConfigError on a
    store whose state does not match the model.
    """
    cfg = cfg or ReadoutConfig()
    dev = torch.device(device)
    t0 = time.perf_counter()
    model.eval()
    train, val = _frames_and_states(model, paths, cfg, dev)
    z_tr = torch.cat([z for z, _ in train]).to(dev)
    s_tr = torch.cat([s for _, s in train]).to(dev)
    if len(z_tr) == 0:
        raise ConfigError("no training frames for the state read-out")
    head = StateReadout(model.num_tokens, model.latent_dim, model.state_dim, cfg.hidden).to(dev)
    opt = torch.optim.AdamW(head.parameters(), lr=cfg.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps)
    target = model.norm_state(s_tr)
    gen = torch.Generator().manual_seed(cfg.seed)
    step = 0
    while step < cfg.steps:
        if cfg.max_seconds and time.perf_counter() - t0 > cfg.max_seconds:
            break
        idx = torch.randint(0, len(z_tr), (cfg.batch_size,), generator=gen).to(dev)
        # beta 0.1 (in std units): L1-like on outliers, smooth near the optimum
        loss = F.smooth_l1_loss(head(z_tr[idx]), target[idx], beta=0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        step += 1
    head.eval()
    model.config = dataclasses.replace(model.config, state_readout=cfg.hidden)
    model.state_readout = head
    names = list(state_names or [f"s{i}" for i in range(model.state_dim)])
    report: dict[str, Any] = {"steps": step, "frames": len(z_tr), "hidden": cfg.hidden}
    z_val = torch.cat([z for z, _ in val]).to(dev) if val else z_tr[:0]
    if len(z_val):
        s_val = torch.cat([s for _, s in val]).to(dev)
        with torch.no_grad():
            report["held_out"] = _errors(model.read_state(z_val), s_val, names)
        report["held_out_mean_baseline"] = _errors(s_tr.mean(0).expand_as(s_val), s_val, names)
        report["held_out_frames"] = len(z_val)
    report["seconds"] = time.perf_counter() - t0
    return report
