"""Frame encoders: uint8 frames -> a grid of patch tokens, pooled to P = pool_grid**2 tokens.

The output is NOT layer-normed here; :class:`~jepa_wm.models.world_model.JepaWorldModel`
applies a parameter-free layer norm so the prediction target is the layer-normed latent
(V-JEPA 2-AC).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from jepa_wm.models.config import EncoderConfig
from jepa_wm.models.layers import Block

# ImageNet statistics: a neutral choice for randomly initialised encoders too.
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


def preprocess(rgb: torch.Tensor, image_size: int) -> torch.Tensor:
    """uint8 [N, H, W, 3] -> float [N, 3, image_size, image_size], resized and normalised."""
    if rgb.dim() != 4 or rgb.shape[-1] != 3:
        raise ValueError(f"expected frames [N, H, W, 3], got {tuple(rgb.shape)}")
    x = rgb.permute(0, 3, 1, 2).float().div_(255.0)
    if x.shape[-2:] != (image_size, image_size):
        x = F.interpolate(
            x, size=(image_size, image_size), mode="bilinear", antialias=True, align_corners=False
        )
    mean = torch.tensor(_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(_STD, device=x.device).view(1, 3, 1, 1)
    # contiguous: the permute above leaves x channels-last, and the conv weight gradients it
    # yields do not match DDP's bucket layout ("Grad strides do not match bucket view strides").
    return ((x - mean) / std).contiguous()


class ConvEncoder(nn.Module):
    """3x3 convs that each halve the side (strided, or average-pooled with ``antialias``), a 1x1
    projection to ``dim``, pooled grid.

    [N, 3, S, S] -> [N, pool_grid**2, dim].
    """

    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 3
        for c in cfg.channels:
            if cfg.antialias:
                conv, down = nn.Conv2d(c_in, c, 3, padding=1), [nn.AvgPool2d(2)]
            else:
                conv, down = nn.Conv2d(c_in, c, 3, stride=2, padding=1), []
            layers += [conv, nn.GroupNorm(8, c), nn.GELU(), *down]
            c_in = c
        # One unstrided conv mixes neighbours at the final resolution before the projection.
        layers += [nn.Conv2d(c_in, c_in, 3, padding=1), nn.GroupNorm(8, c_in), nn.GELU()]
        self.body = nn.Sequential(*layers)
        self.proj = nn.Conv2d(c_in, cfg.dim, 1)
        self.grid = cfg.grid_size
        self.pool = _pool(cfg.grid_size, cfg.pool_grid)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pool(self.proj(self.body(x)))  # [N, D, p, p]
        return y.flatten(2).transpose(1, 2)

    def patch_tokens(self, x: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        """Unpooled grid tokens [N, g*g, D] of x [N, 3, S, S]; with ``keep`` [N, K] (cell
        indices, raster order) only those K cells are returned, [N, K, D].

        A convolution cannot drop tokens, so the pixels of the cells not kept are set to 0
        (the dataset mean after normalisation) before the first layer: nothing of them reaches
        the kept cells' features, however wide the receptive field (masked latent prediction).
        """
        if keep is not None:
            x = x * _pixel_mask(keep, self.grid, x.shape[-1]).to(x.dtype)
        y = self.proj(self.body(x)).flatten(2).transpose(1, 2)  # [N, g*g, D]
        return y if keep is None else _gather(y, keep)


class ViTEncoder(nn.Module):
    """Patch embedding + pre-norm transformer + average pooling to the token grid.

    [N, 3, S, S] -> [N, pool_grid**2, dim].
    """

    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__()
        self.grid = cfg.grid_size
        self.patch = nn.Conv2d(3, cfg.dim, cfg.patch_size, stride=cfg.patch_size)
        self.pos = nn.Parameter(torch.randn(1, self.grid * self.grid, cfg.dim) * 0.02)
        self.blocks = nn.ModuleList(
            Block(cfg.dim, cfg.heads, cfg.mlp_ratio) for _ in range(cfg.depth)
        )
        self.norm = nn.LayerNorm(cfg.dim)
        self.pool = _pool(cfg.grid_size, cfg.pool_grid)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = self.patch_tokens(x)  # [N, g*g, D]
        n, _, d = t.shape
        grid = t.transpose(1, 2).reshape(n, d, self.grid, self.grid)
        return self.pool(grid).flatten(2).transpose(1, 2)

    def patch_tokens(self, x: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        """Unpooled patch tokens [N, g*g, D] of x [N, 3, S, S]; with ``keep`` [N, K] (patch
        indices) only those K patches enter the transformer (I-JEPA's context encoder), [N, K, D].
        """
        t = self.patch(x).flatten(2).transpose(1, 2) + self.pos  # [N, g*g, D]
        if keep is not None:
            t = _gather(t, keep)
        for blk in self.blocks:
            t, _ = blk(t)
        return self.norm(t)


def pool_tokens(encoder: nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    """An encoder's unpooled grid tokens [N, g*g, D] -> its output tokens [N, P, D]."""
    n, _, d = tokens.shape
    grid = tokens.transpose(1, 2).reshape(n, d, encoder.grid, encoder.grid)
    return encoder.pool(grid).flatten(2).transpose(1, 2)


def _gather(tokens: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """tokens [N, L, D], idx [N, K] -> [N, K, D]."""
    return torch.gather(tokens, 1, idx[..., None].expand(-1, -1, tokens.shape[-1]))


def _pixel_mask(keep: torch.Tensor, grid: int, size: int) -> torch.Tensor:
    """keep [N, K] cell indices of a grid x grid raster -> bool [N, 1, size, size] pixel mask."""
    cells = torch.zeros(keep.shape[0], grid * grid, dtype=torch.bool, device=keep.device)
    cells.scatter_(1, keep, True)
    px = size // grid
    m = cells.view(-1, 1, grid, grid)
    return m.repeat_interleave(px, 2).repeat_interleave(px, 3)


def _pool(grid: int, pool_grid: int) -> nn.Module:
    """grid x grid -> pool_grid x pool_grid; a fixed-kernel AvgPool when it divides (ONNX)."""
    if grid % pool_grid == 0:
        k = grid // pool_grid
        return nn.AvgPool2d(k, stride=k)
    return nn.AdaptiveAvgPool2d(pool_grid)


def build_encoder(cfg: EncoderConfig) -> nn.Module:
    """The encoder named by ``cfg.kind``."""
    return ConvEncoder(cfg) if cfg.kind == "conv" else ViTEncoder(cfg)
