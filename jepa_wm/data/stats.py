"""Normalisation statistics, kept the way LeRobot keeps them (mean/std/min/max/q01/q99)."""

from __future__ import annotations

import numpy as np


def compute_stats(values: np.ndarray) -> dict:
    """Per-dimension stats of ``values`` [N, D] (or [N]) as JSON-friendly lists.

    Returns {"mean","std","min","max","q01","q99": list[float] of length D, "count": N}.
    Computed in float64 so long stores do not lose precision.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    x = x.reshape(len(x), -1)
    if len(x) == 0:
        raise ValueError("cannot compute stats of zero samples")
    q01, q99 = np.quantile(x, [0.01, 0.99], axis=0)
    return {
        "mean": x.mean(axis=0).tolist(),
        "std": x.std(axis=0).tolist(),
        "min": x.min(axis=0).tolist(),
        "max": x.max(axis=0).tolist(),
        "q01": q01.tolist(),
        "q99": q99.tolist(),
        "count": int(len(x)),
    }
