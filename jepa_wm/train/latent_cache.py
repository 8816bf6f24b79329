"""Pre-encoded clips for training a predictor on a frozen encoder.

With the encoder frozen (stage 2 of the two-stage mode) every frame's latent is fixed, so the
encoder runs ONCE over each store and the predictor trains on cached latents: on CPU this
removes the dominant cost of a training step (the conv encoder over B*T frames).

Usage::

    latents = encode_stores(model, paths, device)          # per store: [steps, P, D]
    ds = LatentClips(clip_dataset, latents)                # items {"latents","state","action"}
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch.utils.data import Dataset

from jepa_wm.models.world_model import JepaWorldModel

if TYPE_CHECKING:
    from jepa_wm.data.clips import ClipDataset


@torch.no_grad()
def encode_views(
    model: JepaWorldModel, views: list[torch.Tensor], device: torch.device | str
) -> torch.Tensor:
    """One uint8 [B, H, W, 3] per camera view, in ``model.views`` order -> the layer-normed
    latents of each frame, [B, P, D] (P = V x tokens per view), on the CPU."""
    x = views[0][:, None] if len(views) == 1 else torch.stack(views, 1)[:, None]
    return model.encode(x.to(device))[:, 0].cpu()


@torch.no_grad()
def encode_stores(
    model: JepaWorldModel, paths: list[str | Path], device: torch.device | str, chunk: int = 256
) -> list[torch.Tensor]:
    """Layer-normed latents of every frame of every store: a list of [steps, P, D] (CPU)."""
    from jepa_wm.data.store import TrajectoryStore

    model.eval()
    out = []
    for p in paths:
        st = TrajectoryStore.open(p, mode="r")
        parts = []
        for i in range(0, st.num_steps, chunk):
            end = min(i + chunk, st.num_steps)
            # committed steps only, a view's uint8 [end - i, H, W, 3] at a time
            frames = [torch.from_numpy(st.read(k, i, end)) for k in model.views]
            parts.append(encode_views(model, frames, device))
        out.append(torch.cat(parts))
    return out


class LatentClips(Dataset):
    """The clips of ``clips`` (a ClipDataset), with cached latents in place of frames.

    Item: {"latents": f32 [T, P, D], "state": f32 [T, S], "action": f32 [T-1, A] (summed over
    the frame skip, as ClipDataset does)}.
    """

    def __init__(self, clips: ClipDataset, latents: list[torch.Tensor]) -> None:
        from jepa_wm.data.store import TrajectoryStore

        self.clips = clips
        self.latents = latents
        self.starts, self.states, self.actions = [], [], []
        for p in clips.paths:
            st = TrajectoryStore.open(p, mode="r")
            self.starts.append(st.episode_ends - st.episode_lengths)
            # read_all: committed steps only, never a killed writer's leftover rows.
            self.states.append(np.asarray(st.read_all("state"), dtype=np.float32))
            self.actions.append(np.asarray(st.read_all("action"), dtype=np.float32))

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        si, ep, offset = self.clips.locate(i)
        t, skip = self.clips.clip_len, self.clips.frame_skip
        first = int(self.starts[si][ep]) + offset
        frames = first + np.arange(t) * skip
        act = self.actions[si][first : first + (t - 1) * skip]
        act = act.reshape(t - 1, skip, -1).sum(axis=1)
        return {
            "latents": self.latents[si][frames],
            "state": torch.from_numpy(self.states[si][frames]),
            "action": torch.from_numpy(np.ascontiguousarray(act)),
        }
