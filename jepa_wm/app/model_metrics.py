"""Offline model metrics that need a planner: action recovery on held-out transitions.

For a held-out transition (frame t, state t, action t, frame t+1) the planner minimises the
energy ``L1(predict(z_t, s_t, a), z_{t+1})`` over the action ``a`` (CEM, horizon 1). A good
world model puts the minimum near the true action. Reported next to a random-action baseline
drawn uniformly from the same bounds, on the same transitions. The ratios carry a bootstrap 95%
interval over the transitions: with 100 transitions the xyz ratio of one model moved by 0.04
between two transition samples, as much as most changes we tried.

Usage::

    report = action_recovery(model, dataset, low, high, transitions=300, device="cpu")
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from jepa_wm.app.action_ceilings import action_ceilings, load_transitions
from jepa_wm.app.recovery_report import recovery_report
from jepa_wm.errors import ConfigError
from jepa_wm.models.world_model import Context, JepaWorldModel
from planners.costs import CostConfig, make_cost
from planners.interfaces import Goal, Prediction
from planners.registry import make_planner

if TYPE_CHECKING:
    from jepa_wm.data.clips import ClipDataset


@torch.no_grad()
def action_recovery(
    model: JepaWorldModel,
    dataset: ClipDataset,
    action_low: list[float],
    action_high: list[float],
    *,
    transitions: int = 300,
    planner: str = "cem",
    planner_options: dict[str, Any] | None = None,
    action_names: list[str] | None = None,
    device: torch.device | str = "cpu",
    seed: int = 0,
) -> dict[str, Any]:
    """Recover held-out actions by energy minimisation; compare with random actions.

    dataset: clips of >= C + 1 frames (ClipDataset items). Transitions are spread evenly over
    the dataset. Returns {"model": errors, "random": errors, "correlation", "transitions"}.
    """
    c = model.context_len
    low = torch.as_tensor(action_low, dtype=torch.float32)
    high = torch.as_tensor(action_high, dtype=torch.float32)
    cost = make_cost(CostConfig(kind="l1", mode="last"))

    def rollout(ctx: Context, actions: torch.Tensor) -> Prediction:
        lat, st = model.rollout(ctx, actions)
        return Prediction(latents=lat, states=st)

    opts = {"seed": seed, **(planner_options or {})}
    try:
        plan = make_planner(planner, rollout, cost, low, high, horizon=1, device=device, **opts)
    except ValueError as exc:  # an unknown planner or option: the user's input, not a bug
        raise ConfigError(f"action recovery: {exc}") from None
    idx = np.linspace(0, len(dataset) - 1, min(transitions, len(dataset))).astype(int)
    rng = np.random.default_rng(seed)
    found, true, rand = [], [], []
    for i in idx:
        item = dataset[int(i)]
        if not (torch.isfinite(item["state"]).all() and torch.isfinite(item["action"]).all()):
            continue
        z = model.encode(item["rgb"][None].to(device))
        s, a = item["state"][None].to(device), item["action"][None].to(device)
        ctx = model.make_context(z[:, :c], s[:, :c], a[:, : c - 1])
        res = plan.plan(ctx, Goal(latent=z[0, c]))
        found.append(res.actions[0].cpu().numpy())
        true.append(a[0, c - 1].cpu().numpy())
        rand.append(rng.uniform(low.numpy(), high.numpy()))
    if not found:
        raise ValueError("no finite held-out transitions for action recovery")
    f, t, r = np.stack(found), np.stack(true), np.stack(rand)
    return {
        "transitions": len(f),
        "planner": planner,
        "planner_options": dict(planner_options or {}),
        **recovery_report(f, t, r, action_names, seed),
    }


def _held_out(
    paths: list[str], meta: dict[str, Any], all_episodes: bool
) -> list[np.ndarray] | None:
    """Per-store held-out episodes, with the split the checkpoint was trained with."""
    from jepa_wm.data.clips import split_episodes
    from jepa_wm.train.data import open_stores

    if all_episodes:
        return None
    split = meta.get("split") or {"val_fraction": 0.1, "seed": 0}
    return [
        np.asarray(
            split_episodes(st.num_episodes, val_fraction=split["val_fraction"], seed=split["seed"])[
                1
            ]
        )
        for st in open_stores(paths)
    ]


@dataclasses.dataclass(frozen=True)
class ModelEvalConfig:
    """What ``jepa-wm eval-model`` measures on a checkpoint.

    checkpoint: run dir; data: trajectory stores; horizon: k of the k-step latent error;
    max_clips: held-out clips for it; transitions: held-out transitions for action recovery
    (0: skip); planner / planner_options: the planner that recovers actions and its options;
    all_episodes: every episode, not the checkpoint's validation split (stores never trained
    on); ceilings: also what regressors of the action reach; pixel_probe_seconds: also a CNN on
    the frame pairs for this long (s, implies ceilings)."""

    checkpoint: str
    data: tuple[str, ...]
    horizon: int = 4
    max_clips: int = 512
    transitions: int = 300
    planner: str = "cem"
    planner_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    all_episodes: bool = False
    ceilings: bool = False
    pixel_probe_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.pixel_probe_seconds < 0:
            raise ConfigError("--pixel-probe-seconds must be >= 0")


def evaluate_checkpoint(cfg: ModelEvalConfig, device: torch.device | str = "cpu") -> dict[str, Any]:
    """The ``jepa-wm eval-model`` report: latent errors vs copy-last, RankMe, action recovery,
    and with ``cfg.ceilings`` (or a pixel probe) what regressors of the action reach
    (``action_ceilings``); those fit on the checkpoint's training episodes and score its
    validation split, even with ``all_episodes``."""
    from torch.utils.data import DataLoader, Subset

    from jepa_wm.data.clips import ClipDataset
    from jepa_wm.models.checkpoint import load_world_model, read_checkpoint_meta
    from jepa_wm.train.data import open_stores, pooled_stats
    from jepa_wm.train.evaluate import open_loop_errors

    checkpoint, data, horizon = cfg.checkpoint, list(cfg.data), cfg.horizon
    all_episodes, transitions = cfg.all_episodes, cfg.transitions
    ceilings = cfg.ceilings or cfg.pixel_probe_seconds > 0
    model = load_world_model(checkpoint, device=device)
    meta = read_checkpoint_meta(checkpoint).get("meta", {})
    episodes = _held_out(data, meta, all_episodes)
    c = model.context_len
    views = model.views  # a multi-view model's clips carry every view, stacked
    clips = ClipDataset(data, c + horizon, episodes=episodes, rgb_keys=views, stack_views=True)
    idx = np.linspace(0, len(clips) - 1, min(cfg.max_clips, len(clips))).astype(int)
    loader = DataLoader(Subset(clips, np.unique(idx).tolist()), batch_size=32)
    report: dict[str, Any] = {
        "checkpoint": str(checkpoint),
        "data": list(data),
        "held_out": "all episodes" if all_episodes else "validation split",
        "latent": open_loop_errors(model, loader, horizon, device),
    }
    if transitions <= 0 and not ceilings:
        return report
    stores = open_stores(data)
    low, high = meta.get("action_low"), meta.get("action_high")
    if low is None or high is None:
        _, low, high = pooled_stats(stores)
    names = ((stores[0].attrs.get("features") or {}).get("action") or {}).get("names")
    if transitions > 0:
        report["action_recovery"] = action_recovery(
            model,
            ClipDataset(data, c + 1, episodes=episodes, rgb_keys=views, stack_views=True),
            low,
            high,
            transitions=transitions,
            planner=cfg.planner,
            planner_options=dict(cfg.planner_options),
            action_names=names,
            device=device,
        )
    if ceilings:
        report["action_ceilings"] = action_ceilings(
            load_transitions(
                data,
                episodes if episodes is not None else _held_out(data, meta, False),
                frames=cfg.pixel_probe_seconds > 0,
            ),
            low,
            high,
            model=model,
            pixel_seconds=cfg.pixel_probe_seconds,
            action_names=names,
            device=device,
        )
    return report
