"""The action bounds a planner searches: the robot's, narrowed to what the model was trained on.

A world model predicts well only for actions like those in its training data; outside that range
its rollouts are extrapolation, and the planner would pick actions by the model's errors. So a
policy plans within the robot description's bounds *and* the range of the training stores'
action spec, which ``jepa-wm train`` records in the checkpoint (``meta.action_low`` /
``meta.action_high``, per action dimension).

For the sim tasks the two agree by construction (the stores were collected under the task's own
bounds), which is why ``jepa-wm eval`` plans within the task's spec. On a robot the description
may allow more: the Husky's turn rate is 2.0 rad/s (``hardware/robots/husky.yaml``), the husky-nav
task that recorded ``models/tiny-nav``'s data caps it at 1.5 rad/s, and the ROS planner node plans
within 1.5 rad/s, the range eval planned within. The adapters still clip commands at the robot's
own limits.

Usage::

    low, high = planning_bounds(spec.low, spec.high, trained_action_bounds("models/tiny-nav"))
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from jepa_wm.errors import ConfigError
from jepa_wm.models.checkpoint import read_checkpoint_meta

Bounds = tuple[np.ndarray, np.ndarray]


def trained_action_bounds(checkpoint: str | Path) -> Bounds | None:
    """The action range (low, high), float64 [A] each, of the stores a checkpoint was trained
    on; None for a checkpoint that does not record it (trained before it was recorded).
    Raises CheckpointError for an unreadable checkpoint."""
    meta = read_checkpoint_meta(checkpoint).get("meta") or {}
    low, high = meta.get("action_low"), meta.get("action_high")
    if low is None or high is None:
        return None
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def planning_bounds(
    robot_low: np.ndarray, robot_high: np.ndarray, trained: Bounds | None
) -> Bounds:
    """The bounds a planner searches: the robot's [A] bounds intersected with the model's
    trained range ``trained`` (None: the robot's alone). Raises ConfigError when the two have
    different dimensions or do not overlap in some dimension (a model of another robot)."""
    low = np.asarray(robot_low, dtype=np.float64)
    high = np.asarray(robot_high, dtype=np.float64)
    if trained is None:
        return low, high
    t_low, t_high = (np.asarray(b, dtype=np.float64) for b in trained)
    if t_low.shape != low.shape or t_high.shape != high.shape:
        raise ConfigError(
            f"the model was trained on {t_low.shape[0]}-D actions, the robot takes "
            f"{low.shape[0]}-D ones"
        )
    out_low, out_high = np.maximum(low, t_low), np.minimum(high, t_high)
    empty = np.flatnonzero(out_low > out_high)
    if empty.size:
        i = int(empty[0])
        raise ConfigError(
            f"action dim {i}: the robot allows [{low[i]:g}, {high[i]:g}], the model was trained "
            f"on [{t_low[i]:g}, {t_high[i]:g}]: no overlap"
        )
    return out_low, out_high
