"""TensorBoard mirror of ``log.jsonl`` (``jepa-wm train --tensorboard DIR``; optional extra).

Every numeric field of every JSONL record becomes the scalar ``<stage>/<field>`` at the record's
step (losses, lr, clips/s, RankMe, the ``val_*`` losses), so both logs always agree. At each
validation a few held-out clips are drawn as ``<stage>/latent_error`` images: the true frame,
then the per-patch L1 error of the model's 1-step prediction, then that of copy-last-frame,
on one colour scale (``ERROR_SCALE``: dark blue 0, red at or above it).

    jepa-wm train --data reach.zarr --out runs/reach --tensorboard runs/tb/reach
    tensorboard --logdir runs/tb
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from jepa_wm.errors import ConfigError

if TYPE_CHECKING:
    from jepa_wm.models.world_model import JepaWorldModel

ERROR_SCALE = 1.0  # L1 on layer-normed latents: ~1.1 is the error of unrelated latents
IMAGES = 4


@torch.no_grad()
def latent_error_images(
    model: JepaWorldModel, batch: dict[str, torch.Tensor], n: int = IMAGES
) -> np.ndarray:
    """uint8 [n', H, 3W, 3]: [true frame c | model 1-step error | copy-last-frame error].

    batch: "rgb" uint8 [B,T,H,W,3], "state" [B,T,S], "action" [B,T,A] with T > C (the model's
    context length); the model predicts frame C from frames 0..C-1. n' = min(n, B).
    """
    import cv2

    c = int(model.context_len)
    rgb = batch["rgb"][:n]
    if rgb.shape[1] <= c:
        raise ValueError(f"clips of {rgb.shape[1]} frames cannot show a prediction after {c}")
    s, a = batch["state"][: len(rgb)], batch["action"][: len(rgb)]
    was_training = model.training
    model.eval()
    try:
        z = model.encode(rgb)  # [B,T,P,D]
        pz, _ = model.rollout_naive(z[:, :c], s[:, :c], a[:, : c - 1], a[:, c - 1 : c])
    finally:
        model.train(was_training)
    true = z[:, c]
    errors = [(pz[:, 0] - true).abs().mean(-1), (z[:, c - 1] - true).abs().mean(-1)]  # [B,P]
    frames = rgb[:, c].cpu().numpy()
    h, w = frames.shape[1:3]
    side = int(math.isqrt(true.shape[1]))
    grid = (side, side) if side * side == true.shape[1] else (1, true.shape[1])
    panels = [frames]
    for err in errors:
        e = (err.clamp(0, ERROR_SCALE) / ERROR_SCALE * 255).to(torch.uint8).cpu().numpy()
        maps = [cv2.resize(m.reshape(grid), (w, h), interpolation=cv2.INTER_NEAREST) for m in e]
        panels.append(np.stack([cv2.applyColorMap(m, cv2.COLORMAP_JET)[..., ::-1] for m in maps]))
    return np.concatenate(panels, axis=2)


class TensorBoardLog:
    """Writes the scalars of JSONL records and latent-error images under ``log_dir``."""

    def __init__(self, log_dir: str | Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ConfigError(
                "--tensorboard needs the tensorboard package (pip install 'jepa-wm[tensorboard]')"
            ) from None
        self.writer = SummaryWriter(log_dir=str(log_dir))

    def record(self, rec: dict[str, Any]) -> None:
        """One JSONL record: its numeric fields as ``<stage>/<field>`` at ``rec["step"]``."""
        if "step" not in rec:
            return  # events (e.g. cached_latents) have no step to plot against
        stage = rec.get("stage", "train")
        for key, value in rec.items():
            if key in ("stage", "step") or isinstance(value, bool):
                continue
            if isinstance(value, int | float) and math.isfinite(value):
                self.writer.add_scalar(f"{stage}/{key}", value, rec["step"])
        self.writer.flush()

    def images(
        self, model: JepaWorldModel, batch: dict[str, torch.Tensor], stage: str, step: int
    ) -> None:
        """Latent-error images of the first clips of ``batch`` (skipped without frames)."""
        if "rgb" not in batch or batch["rgb"].shape[1] <= int(model.context_len):
            return
        imgs = latent_error_images(model, batch)
        self.writer.add_images(f"{stage}/latent_error", imgs, step, dataformats="NHWC")
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
