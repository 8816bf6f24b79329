"""The report of recovered actions against the truth and a random-action baseline.

Shared by action recovery (``model_metrics``: the world model's energy picks the action) and
the action ceilings (``action_ceilings``: regressors read the action), so both report alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def recovery_report(
    found: np.ndarray, true: np.ndarray, rand: np.ndarray, names: list[str] | None, seed: int
) -> dict[str, Any]:
    """Errors of recovered actions [N, A] and of random ones against the truth, their ratio with
    a bootstrap interval, and the same for xyz alone when the actions start with (dx, dy, dz)."""
    report = {
        "model": _errors(found, true, names),
        "random": _errors(rand, true, names),
        "correlation": _correlation(found, true),
    }
    ratio, ci = _ratio_vs_random(found, rand, true, slice(None), seed)
    report["error_ratio_vs_random"], report["error_ratio_ci95"] = ratio, ci
    # The translation part alone: rotations of a few degrees barely show in a 64 px image.
    if "xyz_l2_cm" in report["model"]:
        ratio, ci = _ratio_vs_random(found, rand, true, slice(0, 3), seed)
        report["xyz_error_ratio_vs_random"], report["xyz_error_ratio_ci95"] = ratio, ci
    return report


def _ratio_vs_random(
    found: np.ndarray, rand: np.ndarray, true: np.ndarray, dims: slice, seed: int
) -> tuple[float, list[float]]:
    """Mean L2 error over ``dims`` of the found actions / of the random ones, and its interval."""
    model_err = np.linalg.norm((found - true)[:, dims], axis=1)
    random_err = np.linalg.norm((rand - true)[:, dims], axis=1)
    ratio = float(model_err.mean() / max(random_err.mean(), 1e-12))
    return ratio, _ratio_ci(model_err, random_err, seed)


def _errors(pred: np.ndarray, true: np.ndarray, names: list[str] | None) -> dict[str, Any]:
    """pred/true [N, A] -> L2, per-dim MAE, and the xyz error in cm for (dx, dy, dz) actions."""
    diff = pred - true
    out: dict[str, Any] = {
        "l2": float(np.linalg.norm(diff, axis=1).mean()),
        "mae_per_dim": np.abs(diff).mean(0).tolist(),
    }
    if names and names[:3] == ["dx", "dy", "dz"]:
        out["xyz_l2_cm"] = float(np.linalg.norm(diff[:, :3], axis=1).mean() * 100)
    return out


def _ratio_ci(
    model_err: np.ndarray, random_err: np.ndarray, seed: int, draws: int = 1000
) -> list[float]:
    """Bootstrap 95% interval of mean(model_err) / mean(random_err), resampling transitions."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(model_err), size=(draws, len(model_err)))
    ratios = model_err[idx].mean(1) / np.maximum(random_err[idx].mean(1), 1e-12)
    return [float(np.quantile(ratios, 0.025)), float(np.quantile(ratios, 0.975))]


def _correlation(pred: np.ndarray, true: np.ndarray) -> float | None:
    """Mean Pearson correlation over the action dims that vary in ``true`` and ``pred``."""
    cors = []
    for d in range(true.shape[1]):
        if true[:, d].std() > 1e-8 and pred[:, d].std() > 1e-8:
            cors.append(float(np.corrcoef(pred[:, d], true[:, d])[0, 1]))
    return float(np.mean(cors)) if cors else None
