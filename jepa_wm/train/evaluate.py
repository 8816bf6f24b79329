"""Offline metrics on held-out clips: validation losses, k-step latent error, RankMe.

Every error is reported next to the copy-last-frame baseline (predict that nothing changes),
measured on the same clips.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from jepa_wm.models.world_model import JepaWorldModel
from jepa_wm.train.data import Batch, drop_nonfinite
from jepa_wm.train.losses import rankme

if TYPE_CHECKING:
    from jepa_wm.train.objectives import Objective


def _to(batch: dict[str, torch.Tensor], device: torch.device | str) -> dict[str, torch.Tensor]:
    return {k: v.to(device) for k, v in batch.items() if k in ("rgb", "state", "action")}


@torch.no_grad()
def validation_losses(
    objective: Objective, batches: Iterable[dict], device: torch.device | str
) -> dict[str, float]:
    """Mean of the objective's losses over ``batches``, plus the 1-step copy baseline and RankMe.

    batches: DataLoader batches of what the objective trains on (``objective.inputs``: frames or
    cached latents); ValueError when they are the other kind."""
    objective.eval()
    sums: dict[str, float] = {}
    n = 0
    feats = []
    for raw in batches:
        batch, _ = Batch.collate(raw, device).drop_nonfinite()
        if batch.inputs != objective.inputs:
            raise ValueError(f"the objective trains on {objective.inputs}, not {batch.inputs}")
        if len(batch) == 0:
            continue
        out = objective(batch.x, batch.state, batch.action)
        z = out.pop("latents")
        if z.shape[1] > 1 and "tf" in out:
            out["copy_1step"] = F.l1_loss(z[:, :-1], z[:, 1:])
        feats.append(z.reshape(-1, z.shape[-1]))
        for k, v in out.items():
            sums[k] = sums.get(k, 0.0) + float(v)
        n += 1
    objective.train()
    if n == 0:
        return {}
    res = {f"val_{k}": v / n for k, v in sums.items()}
    res["val_rankme"] = rankme(torch.cat(feats)[:4096])
    return res


@torch.no_grad()
def open_loop_errors(
    model: JepaWorldModel, batches: Iterable[dict], horizon: int, device: torch.device | str
) -> dict[str, Any]:
    """k-step open-loop latent error on clips of >= C + horizon frames.

    From the first C frames (C = context_len) the model rolls out ``horizon`` actions, feeding
    its own predictions back. Returns per-step mean L1 of the model and of copy-last-frame,
    the relative improvement, RankMe of the true latents and the number of clips.
    """
    c = model.context_len
    err = torch.zeros(horizon, dtype=torch.float64)
    copy = torch.zeros(horizon, dtype=torch.float64)
    feats, clips = [], 0
    for raw in batches:
        batch, _ = drop_nonfinite(_to(raw, device))
        if len(batch["rgb"]) == 0:
            continue
        if batch["rgb"].shape[1] < c + horizon:
            raise ValueError(
                f"clips of {batch['rgb'].shape[1]} frames < context {c} + horizon {horizon}"
            )
        z = model.encode(batch["rgb"])
        s, a = batch["state"], batch["action"]
        pz, _ = model.rollout_naive(
            z[:, :c], s[:, :c], a[:, : c - 1], a[:, c - 1 : c - 1 + horizon]
        )
        true = z[:, c : c + horizon]
        b = z.shape[0]
        err += (pz - true).abs().mean((2, 3)).sum(0).double().cpu()
        copy += (z[:, c - 1 : c] - true).abs().mean((2, 3)).sum(0).double().cpu()
        feats.append(z[:, 0].reshape(-1, z.shape[-1]))
        clips += b
    if clips == 0:
        raise ValueError("no finite held-out clips to evaluate")
    err, copy = err / clips, copy / clips
    return {
        "clips": clips,
        "model_l1": err.tolist(),
        "copy_l1": copy.tolist(),
        "improvement_vs_copy": (1 - err / copy).tolist(),
        "rankme": rankme(torch.cat(feats)[:4096]),
    }
