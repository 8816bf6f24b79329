"""The world-model policy built inside an evaluation worker process (``eval --workers N``).

A model cannot cross a process boundary without pickling it, so each worker loads the
checkpoint itself from its path; only the path, the resolved config (a dict) and a few names
cross. Usage::

    factory = policy_factory("models/tiny-reach", cfg, "franka-reach", threads=1)
    run = EvalConfig("franka-reach", episodes=30, workers=2)
    report = evaluate_planner(model, cfg, run, policy_factory=factory)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from jepa_wm.app.mpc_eval import EnvMPCPolicy
from jepa_wm.app.policy import PolicyConfig
from jepa_wm.config import from_dict, to_dict


def _worker_policy(
    checkpoint: str,
    cfg: dict[str, Any],
    env_name: str,
    device: str,
    use_subgoals: bool | None,
    threads: int,
) -> EnvMPCPolicy:
    import torch

    from jepa_wm.models.checkpoint import load_world_model

    torch.set_num_threads(threads)
    model = load_world_model(checkpoint, device=device)
    policy_cfg = from_dict(PolicyConfig, cfg, where="worker policy config")
    return EnvMPCPolicy(model, policy_cfg, env_name, device, use_subgoals)


def policy_factory(
    checkpoint: str | Path,
    cfg: PolicyConfig,
    env_name: str,
    device: str = "cpu",
    use_subgoals: bool | None = None,
    threads: int = 1,
) -> Callable[[], EnvMPCPolicy]:
    """A picklable zero-argument factory of the EnvMPCPolicy that ``jepa-wm eval`` builds.

    threads: torch CPU threads per worker (per-seed results are bit-identical between runs
    that use the same thread count per process).
    """
    return partial(
        _worker_policy, str(checkpoint), to_dict(cfg), env_name, str(device), use_subgoals, threads
    )
