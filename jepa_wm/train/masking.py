"""Multi-block masks on a patch grid (I-JEPA, Assran et al. 2023, Sec. 3; V-JEPA tubes).

The target of one sample is a union of rectangular blocks, each covering about
``block_scale`` of the grid with an aspect ratio drawn uniformly in [0.75, 1.5] (I-JEPA's
range), placed uniformly at random, until exactly round(ratio * g^2) cells are covered (the
cells of the last block beyond that count are dropped in raster order, so every sample of a
batch has the same number of target and context cells and the context encoder needs no
padding). The context is the complement: no target cell is ever in the context.

For clips the same 2-D mask is used at every frame (V-JEPA's "tube" masking), so a target
patch cannot be copied from the same place in a neighbouring frame.
"""

from __future__ import annotations

import math

import torch

ASPECT = (0.75, 1.5)
_MAX_TRIES = 1000  # bounded loop; afterwards the remaining cells are drawn one by one


def num_target_cells(grid: int, ratio: float) -> int:
    """Target cells per sample for a grid x grid raster: round(ratio * g^2), in [1, g^2 - 1]."""
    if not 0.0 < ratio < 1.0:
        raise ValueError(f"mask ratio must be in (0, 1), got {ratio}")
    return min(max(round(ratio * grid * grid), 1), grid * grid - 1)


def block_mask(
    grid: int, ratio: float, block_scale: float, generator: torch.Generator
) -> torch.Tensor:
    """One multi-block target mask: bool [grid * grid] (raster order), True = target."""
    if not 0.0 < block_scale <= 1.0:
        raise ValueError(f"block scale must be in (0, 1], got {block_scale}")
    need = num_target_cells(grid, ratio)
    mask = torch.zeros(grid, grid, dtype=torch.bool)
    for _ in range(_MAX_TRIES):
        have = int(mask.sum())
        if have == need:
            return mask.flatten()
        aspect = ASPECT[0] + (ASPECT[1] - ASPECT[0]) * float(torch.rand(1, generator=generator))
        area = block_scale * grid * grid
        h = min(max(round(math.sqrt(area * aspect)), 1), grid)
        w = min(max(round(math.sqrt(area / aspect)), 1), grid)
        top = int(torch.randint(0, grid - h + 1, (1,), generator=generator))
        left = int(torch.randint(0, grid - w + 1, (1,), generator=generator))
        block = torch.zeros_like(mask)
        block[top : top + h, left : left + w] = True
        new = (block & ~mask).flatten().nonzero().flatten()[: need - have]
        mask.view(-1)[new] = True
    free = (~mask).flatten().nonzero().flatten()
    pick = free[torch.randperm(len(free), generator=generator)[: need - int(mask.sum())]]
    mask.view(-1)[pick] = True
    return mask.flatten()


def multiblock_masks(
    batch: int, grid: int, ratio: float, block_scale: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Masks for a batch: (context [B, K], target [B, M]) cell indices, each row sorted, with
    M = round(ratio * g^2) and K = g^2 - M; context and target of a row are disjoint and
    together cover the grid. Drawn on the CPU from ``generator``.
    """
    masks = torch.stack([block_mask(grid, ratio, block_scale, generator) for _ in range(batch)])
    cells = torch.arange(grid * grid).expand(batch, -1)
    m = num_target_cells(grid, ratio)
    target = cells[masks].view(batch, m)
    context = cells[~masks].view(batch, grid * grid - m)
    return context, target
