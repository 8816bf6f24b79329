"""EMA target encoders (BYOL; I-JEPA Sec. 4 / V-JEPA): theta_t <- m theta_t + (1 - m) theta.

The momentum follows I-JEPA's schedule: linear from ``start`` to ``end`` over a stage (I-JEPA:
0.996 -> 1.0), so the target moves less and less as the online encoder settles.
"""

from __future__ import annotations

import torch
from torch import nn


def momentum_at(start: float, end: float | None, frac: float) -> float:
    """The EMA momentum at fraction ``frac`` in [0, 1] of a stage (``end`` None: constant)."""
    if end is None:
        return start
    return start + (end - start) * min(max(frac, 0.0), 1.0)


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, momentum: float) -> None:
    """target <- momentum * target + (1 - momentum) * online, parameter by parameter (buffers
    such as GroupNorm have none; any buffers are copied)."""
    for pt, p in zip(target.parameters(), online.parameters(), strict=True):
        pt.mul_(momentum).add_(p.detach(), alpha=1 - momentum)
    for bt, b in zip(target.buffers(), online.buffers(), strict=True):
        bt.copy_(b)
