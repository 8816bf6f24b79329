"""V-JEPA 2-AC action-conditioned predictor with block-causal attention and a KV cache.

Per time step t the predictor sees a block of K tokens: ``[action_t, state_t, patches_t]``
("token" conditioning, K = P + 2) or ``[state_t, patches_t]`` with every layer modulated by
action_t ("adaln", K = P + 1). Attention is block-causal with a sliding window of
``context_len`` blocks: a token of block t attends to every token of blocks t-C+1..t. The
patch outputs of block t predict frame t+1's layer-normed latents, the state output predicts
state t+1 (both as residuals on block t's inputs when ``residual``).

All states/actions here are already normalised; the world model handles units.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from jepa_wm.models.config import PredictorConfig
from jepa_wm.models.layers import KV, Block, rope_tables


def block_causal_mask(
    num_steps: int, tokens: int, window: int, device: torch.device
) -> torch.Tensor:
    """bool [T*K, T*K]: True where a token may attend (same block or up to window-1 before)."""
    blk = torch.arange(num_steps * tokens, device=device) // tokens
    diff = blk[:, None] - blk[None, :]
    return (diff >= 0) & (diff < window)


class ACPredictor(nn.Module):
    """Predicts next-frame latents and states from (latents, states, actions) sequences."""

    def __init__(
        self,
        cfg: PredictorConfig,
        latent_dim: int,
        num_tokens: int,
        action_dim: int,
        state_dim: int,
    ) -> None:
        super().__init__()
        self.cfg = cfg
        self.num_tokens = num_tokens
        adaln = cfg.conditioning == "adaln"
        self.prefix = 1 if adaln else 2  # tokens before the patches in a block
        self.block_len = num_tokens + self.prefix
        d = cfg.dim
        self.action_embed = nn.Linear(action_dim, d)
        self.state_embed = nn.Linear(state_dim, d)
        self.patch_embed = nn.Linear(latent_dim, d)
        self.token_pos = nn.Parameter(torch.randn(self.block_len, d) * 0.02)
        if cfg.time_pos == "learned":
            self.time_pos = nn.Parameter(torch.randn(cfg.max_steps, d) * 0.02)
        self.blocks = nn.ModuleList(
            Block(d, cfg.heads, cfg.mlp_ratio, adaln=adaln) for _ in range(cfg.depth)
        )
        self.norm = nn.LayerNorm(d)
        self.latent_head = nn.Linear(d, latent_dim)
        self.state_head = nn.Linear(d, state_dim)
        if cfg.residual:
            # Residual heads start at "no change", i.e. the copy-last-frame baseline.
            for head in (self.latent_head, self.state_head):
                nn.init.zeros_(head.weight)
                nn.init.zeros_(head.bias)

    # -- embedding -----------------------------------------------------------------------------
    def _embed(
        self, latents: torch.Tensor, states: torch.Tensor, actions: torch.Tensor, t0: int
    ) -> tuple[torch.Tensor, torch.Tensor | None, tuple[torch.Tensor, torch.Tensor] | None]:
        """latents [B,T,P,D], states [B,T,S], actions [B,T,A] -> tokens [B,T*K,d], cond, rope."""
        b, t = latents.shape[:2]
        parts = [self.state_embed(states)[:, :, None], self.patch_embed(latents)]
        act = self.action_embed(actions)  # [B, T, d]
        if self.prefix == 2:
            parts.insert(0, act[:, :, None])
        x = torch.cat(parts, dim=2) + self.token_pos  # [B, T, K, d]
        steps = torch.arange(t0, t0 + t, device=latents.device)
        if self.cfg.time_pos == "learned":
            if t0 + t > self.cfg.max_steps:
                raise ValueError(
                    f"sequence of {t0 + t} steps exceeds max_steps={self.cfg.max_steps}"
                )
            x = x + self.time_pos[steps][None, :, None]
        x = x.reshape(b, t * self.block_len, -1)
        cond = None
        if self.prefix == 1:
            cond = act[:, :, None].expand(-1, -1, self.block_len, -1).reshape(b, -1, act.shape[-1])
        rope = None
        # With a window of one block every query/key pair shares its time step, where rotary
        # positions cancel exactly; skipping them is the same model at lower cost.
        if self.cfg.time_pos == "rope" and self.cfg.context_len > 1:
            rope = rope_tables(
                steps.repeat_interleave(self.block_len), self.cfg.dim // self.cfg.heads
            )
        return x, cond, rope

    def _heads(
        self, h: torch.Tensor, latents: torch.Tensor, states: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden [B,T*K,d] -> next latents [B,T,P,D] (layer-normed), next states [B,T,S]."""
        b, t = latents.shape[:2]
        h = self.norm(h).view(b, t, self.block_len, -1)
        dz = self.latent_head(h[:, :, self.prefix :])
        ds = self.state_head(h[:, :, self.prefix - 1])
        if self.cfg.residual:
            dz, ds = latents + dz, states + ds
        return F.layer_norm(dz, (self.latent_head.out_features,)), ds

    # -- full (uncached) forward ---------------------------------------------------------------
    def forward(
        self, latents: torch.Tensor, states: torch.Tensor, actions: torch.Tensor, t0: int = 0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced forward over T steps.

        latents [B,T,P,D], states [B,T,S], actions [B,T,A] (action_t follows frame t)
        -> predicted latents of frames 1..T [B,T,P,D] and states [B,T,S].
        """
        x, cond, rope = self._embed(latents, states, actions, t0)
        mask = block_causal_mask(latents.shape[1], self.block_len, self.cfg.context_len, x.device)
        for blk in self.blocks:
            x, _ = blk(x, rope=rope, mask=mask, cond=cond)
        return self._heads(x, latents, states)

    def forward_with_cache(
        self, latents: torch.Tensor, states: torch.Tensor, actions: torch.Tensor, t0: int = 0
    ) -> list[KV]:
        """Like forward, but returns each layer's (k, v) of the last C-1 blocks (the KV cache)."""
        keep = (self.cfg.context_len - 1) * self.block_len
        x, cond, rope = self._embed(latents, states, actions, t0)
        mask = block_causal_mask(latents.shape[1], self.block_len, self.cfg.context_len, x.device)
        cache: list[KV] = []
        for blk in self.blocks:
            x, (k, v) = blk(x, rope=rope, mask=mask, cond=cond)
            start = max(0, k.shape[2] - keep)
            cache.append((k[:, :, start:], v[:, :, start:]))
        return cache

    # -- incremental step ----------------------------------------------------------------------
    def step(
        self,
        latents: torch.Tensor,
        states: torch.Tensor,
        actions: torch.Tensor,
        t: int,
        cache: list[KV] | None,
    ) -> tuple[torch.Tensor, torch.Tensor, list[KV]]:
        """One block at time index ``t`` attending to ``cache`` (the previous <= C-1 blocks).

        latents [N,1,P,D], states [N,1,S], actions [N,1,A]; cache per layer (k, v)
        [1 or N, heads, L, dh]. Returns next latents [N,1,P,D], states [N,1,S] and the updated
        cache, trimmed to the last C-1 blocks.
        """
        keep = (self.cfg.context_len - 1) * self.block_len
        x, cond, rope = self._embed(latents, states, actions, t)
        new_cache: list[KV] = []
        for i, blk in enumerate(self.blocks):
            past = cache[i] if cache and cache[i][0].shape[2] > 0 else None
            x, (k, v) = blk(x, rope=rope, past=past, cond=cond)  # k, v: past + this block
            if keep:
                new_cache.append((k[:, :, -keep:], v[:, :, -keep:]))
            else:
                new_cache.append((k[:, :, :0], v[:, :, :0]))
        z, s = self._heads(x, latents, states)
        return z, s, new_cache
