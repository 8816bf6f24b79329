"""Transformer pieces shared by the ViT encoder and the AC predictor.

Attention supports an explicit boolean mask (True = may attend), rotary positions on the time
step, an incoming KV cache (keys already rotated at insertion, so cached and uncached paths are
numerically the same), and AdaLN-Zero modulation (DiT) for action conditioning.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

KV = tuple[torch.Tensor, torch.Tensor]


def rope_tables(
    pos: torch.Tensor, dim: int, base: float = 10000.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin [L, dim] for integer positions ``pos`` [L] (rotate-half convention)."""
    inv = 1.0 / (base ** (torch.arange(0, dim, 2, device=pos.device, dtype=torch.float32) / dim))
    ang = pos.float()[:, None] * inv[None, :]  # [L, dim/2]
    ang = torch.cat([ang, ang], dim=-1)
    return ang.cos(), ang.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x [B, heads, L, dh] rotated by cos/sin [L, dh]."""
    x1, x2 = x.chunk(2, dim=-1)
    return x * cos + torch.cat([-x2, x1], dim=-1) * sin


class Attention(nn.Module):
    """Multi-head self-attention over new tokens, optionally attending to cached keys too."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(
        self,
        x: torch.Tensor,
        rope: tuple[torch.Tensor, torch.Tensor] | None = None,
        mask: torch.Tensor | None = None,
        past: KV | None = None,
    ) -> tuple[torch.Tensor, KV]:
        """x [B, L, dim]; mask [L, Lpast + L] bool; past (k, v) [B, heads, Lpast, dh].

        Returns the output [B, L, dim] and the (k, v) it attended to, [B, heads, Lpast + L, dh]
        (rotated): the past, then this call's. A KV cache trims these instead of concatenating
        the past a second time (on a GPU each extra copy is one more kernel launch).
        """
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        if rope is not None:
            q, k = apply_rope(q, *rope), apply_rope(k, *rope)
        if past is not None:
            k = torch.cat([past[0].expand(b, -1, -1, -1), k], dim=2)
            v = torch.cat([past[1].expand(b, -1, -1, -1), v], dim=2)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.proj(out.transpose(1, 2).reshape(b, n, d)), (k, v)


class Block(nn.Module):
    """Pre-norm transformer block; with ``adaln`` the norms are modulated by a condition.

    The MLP uses the tanh GELU: on CPU it is several times cheaper than the erf form, and the
    MLP dominates planning cost.
    """

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0, adaln: bool = False) -> None:
        super().__init__()
        self.adaln = adaln
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=not adaln)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=not adaln)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Linear(dim, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, dim)
        )
        if adaln:
            # AdaLN-Zero: the modulation starts at zero so each block starts as the identity.
            self.mod = nn.Linear(dim, 6 * dim)
            nn.init.zeros_(self.mod.weight)
            nn.init.zeros_(self.mod.bias)

    def forward(
        self,
        x: torch.Tensor,
        rope: tuple[torch.Tensor, torch.Tensor] | None = None,
        mask: torch.Tensor | None = None,
        past: KV | None = None,
        cond: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, KV]:
        """x [B, L, dim]; cond [B, L, dim] (AdaLN only). Returns x and the (k, v) attended to."""
        if not self.adaln:
            h, kv = self.attn(self.norm1(x), rope, mask, past)
            x = x + h
            return x + self.mlp(self.norm2(x)), kv
        if cond is None:
            raise ValueError("an AdaLN block needs a condition")
        s1, c1, g1, s2, c2, g2 = self.mod(F.silu(cond)).chunk(6, dim=-1)
        h, kv = self.attn(self.norm1(x) * (1 + c1) + s1, rope, mask, past)
        x = x + g1 * h
        return x + g2 * self.mlp(self.norm2(x) * (1 + c2) + s2), kv
