"""Masked latent prediction (I-JEPA, Assran et al. 2023; V-JEPA, Bardes et al. 2024).

The context encoder (the model's encoder) sees only the context cells of each frame; a narrow
predictor, given the context tokens and learned mask tokens at the target cells' positions,
predicts the layer-normed latents that an EMA copy of the encoder computes from the full frame:

    L = 1/(T M) sum_t sum_{i in target} | g_phi(s_ctx, pos_i, t) - LN(s_bar_theta(x_t))_i |_1

(I-JEPA Eq. 1 averages an L2 over M target blocks; V-JEPA, Sec. 3, uses L1 on layer-normed
targets, as here.) With ``mask_context_weight`` > 0 the predictor's outputs at the context
cells are regressed onto the target's latents there as well, a dense loss on every patch
(the idea V-JEPA 2.1 adds for dense features; its weighting here is ours). theta_bar is the EMA of theta with I-JEPA's linear momentum schedule
(:mod:`jepa_wm.train.ema`), and the target receives no gradient. Masks are multi-block on the
encoder's patch grid (:mod:`jepa_wm.train.masking`); for clips the mask is the same at every
frame (a V-JEPA tube) and the predictor attends across the clip's frames. At the end of the
stage the target encoder's weights become the model's encoder, as I-JEPA evaluates with the
target encoder.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from jepa_wm.models.encoder import pool_tokens, preprocess
from jepa_wm.models.layers import Block
from jepa_wm.models.world_model import JepaWorldModel
from jepa_wm.train import distributed as dist_util
from jepa_wm.train.config import TrainConfig
from jepa_wm.train.ema import ema_update, momentum_at
from jepa_wm.train.masking import multiblock_masks
from jepa_wm.train.objectives import Objective


def _ln(z: torch.Tensor) -> torch.Tensor:
    return F.layer_norm(z, z.shape[-1:])


def _gather(tokens: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """tokens [N, L, D], idx [N, K] -> [N, K, D]."""
    return torch.gather(tokens, 1, idx[..., None].expand(-1, -1, tokens.shape[-1]))


class MaskPredictor(nn.Module):
    """Narrow transformer g_phi: context tokens + mask tokens at target cells -> target latents.

    Learned position (per grid cell) and time (per clip frame) embeddings; width ``dim`` is
    smaller than or equal to the encoder's, as in I-JEPA's narrow predictor.
    """

    def __init__(
        self, enc_dim: int, dim: int, depth: int, heads: int, cells: int, frames: int
    ) -> None:
        super().__init__()
        self.inp = nn.Linear(enc_dim, dim)
        self.mask_token = nn.Parameter(torch.randn(dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(cells, dim) * 0.02)
        self.time = nn.Parameter(torch.randn(frames, dim) * 0.02)
        self.blocks = nn.ModuleList(Block(dim, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, enc_dim)

    def forward(
        self, context: torch.Tensor, ctx_idx: torch.Tensor, tgt_idx: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """context [B, T, K, D] at cells ctx_idx [B, K]; targets at tgt_idx [B, M] of every
        frame -> predictions at the target cells [B, T, M, D] and at the context cells
        [B, T, K, D]."""
        b, t, k, _ = context.shape
        m = tgt_idx.shape[1]
        time = self.time[:t][None, :, None]  # [1, T, 1, dim]
        xc = self.inp(context) + self.pos[ctx_idx][:, None] + time
        xt = (self.mask_token + self.pos[tgt_idx][:, None] + time).expand(b, t, m, -1)
        x = torch.cat([xc.reshape(b, t * k, -1), xt.reshape(b, t * m, -1)], dim=1)
        for blk in self.blocks:
            x, _ = blk(x)
        y = self.out(self.norm(x))
        return y[:, t * k :].view(b, t, m, -1), y[:, : t * k].view(b, t, k, -1)


class MaskedObjective(Objective):
    """Stage-1 masked latent prediction; forward(rgb uint8 [B,T,H,W,3] or, with V camera views,
    [B,T,V,H,W,3], state, action) -> dict with "loss" (= "masked", the L1 above) and "latents"
    [B,T,V*P,D] (the target encoder's pooled, layer-normed latents: what the frozen-encoder
    stage will see). Views share the encoder; each view's clip draws its own mask."""

    def __init__(self, model: JepaWorldModel, cfg: TrainConfig) -> None:
        super().__init__()
        enc = model.config.encoder
        if enc.image_size % enc.grid_size:
            raise ValueError(
                f"masked objective: image_size {enc.image_size} is not a multiple of the "
                f"encoder grid {enc.grid_size}"
            )
        self.model, self.cfg = model, cfg
        self.grid = enc.grid_size
        self.target_encoder = copy.deepcopy(model.encoder).requires_grad_(False)
        self.mask_predictor = MaskPredictor(
            enc.dim,
            cfg.mask_pred_dim,
            cfg.mask_pred_depth,
            cfg.mask_pred_heads,
            self.grid**2,
            cfg.clip_len,
        )
        # Each DDP rank draws its own masks (its clips differ too).
        self._gen = torch.Generator().manual_seed(cfg.seed * 1000 + dist_util.rank())
        model.encoder.requires_grad_(True)
        model.predictor.requires_grad_(False)  # unused in this stage

    def forward(
        self, rgb: torch.Tensor, state: torch.Tensor, action: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        del state, action  # frames only
        n_views = rgb.shape[2] if rgb.ndim == 6 else 1
        if n_views > 1:
            # [B, T, V, H, W, 3] -> [B*V, T, H, W, 3]: each view's clip is its own sample with
            # its own mask (the encoder is shared across views; the view embedding is not
            # part of this stage).
            rgb = rgb.transpose(1, 2).reshape(-1, rgb.shape[1], *rgb.shape[3:])
        b, t = rgb.shape[:2]
        x = preprocess(rgb.reshape(b * t, *rgb.shape[2:]), self.model.image_size)
        # Validation draws the same masks every time, so its loss is comparable across steps.
        gen = self._gen if self.training else torch.Generator().manual_seed(0)
        cfg = self.cfg
        ctx_idx, tgt_idx = multiblock_masks(b, self.grid, cfg.mask_ratio, cfg.mask_block_scale, gen)
        ctx_idx, tgt_idx = ctx_idx.to(x.device), tgt_idx.to(x.device)
        # Tube masks: frame t of clip b uses clip b's mask.
        ctx = self.model.encoder.patch_tokens(x, ctx_idx.repeat_interleave(t, 0))  # [BT, K, D]
        with torch.no_grad():
            raw = self.target_encoder.patch_tokens(x)  # [BT, g*g, D]
            full = _ln(raw)
            target = _gather(full, tgt_idx.repeat_interleave(t, 0))
            ctx_target = _gather(full, ctx_idx.repeat_interleave(t, 0))
            latents = _ln(pool_tokens(self.target_encoder, raw))
        pred, pred_ctx = self.mask_predictor(ctx.view(b, t, *ctx.shape[1:]), ctx_idx, tgt_idx)
        masked = F.l1_loss(pred, target.view_as(pred))
        latents = latents.view(b // n_views, n_views, t, *latents.shape[1:]).transpose(1, 2)
        # [B, T, V*P, D]: the views' tokens side by side, as the world model lays them out
        out = {"masked": masked.detach(), "latents": latents.flatten(2, 3)}
        loss = masked
        if cfg.mask_context_weight > 0:
            # Dense: the context cells are predicted too (V-JEPA 2.1's idea of a loss on
            # every patch; the weighting is ours).
            dense = F.l1_loss(pred_ctx, ctx_target.view_as(pred_ctx))
            out["dense"] = dense.detach()
            loss = loss + cfg.mask_context_weight * dense
        out["loss"] = loss
        return out

    @torch.no_grad()
    def update_target(self, frac: float = 0.0) -> None:
        """EMA step of the target encoder at fraction ``frac`` of the stage."""
        m = momentum_at(self.cfg.ema_momentum, self.cfg.ema_momentum_end, frac)
        ema_update(self.target_encoder, self.model.encoder, m)

    def ema_target(self) -> nn.Module:
        """The EMA target encoder (the loss's target; the model's encoder after the stage)."""
        return self.target_encoder

    def heads(self) -> dict[str, nn.Module]:
        """The narrow masked-prediction predictor (``maskpred``)."""
        return {"maskpred": self.mask_predictor}

    @torch.no_grad()
    def finish_stage(self) -> None:
        """The model keeps the target encoder (I-JEPA evaluates the target encoder)."""
        self.model.encoder.load_state_dict(self.target_encoder.state_dict())
