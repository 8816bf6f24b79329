"""Closed-loop evaluation glue: a world model + planner as a sim-harness policy.

``EnvMPCPolicy`` builds its :class:`WorldModelPolicy` when the harness binds the env (so the
action bounds are the env's own), sets the env's subgoal sequence at each episode start for
multi-stage tasks, and keeps planning-time statistics for the report.

Usage::

    cfg = load_policy_config("planner.yaml", planner="cem", env="franka-reach")
    report = evaluate_planner(model, cfg, EvalConfig("franka-reach", episodes=30))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from hardware.interfaces import Observation
from jepa_wm.app.policy import PolicyConfig, WorldModelPolicy
from jepa_wm.app.policy_files import default_fixed_dims
from jepa_wm.app.policy_files import load_policy_config as load_policy_config  # re-exported
from jepa_wm.config import to_dict
from jepa_wm.models.interfaces import WorldModel
from planners.subgoals import even_share
from sim.evaluate import EvalConfig

# Tasks solved through a subgoal sequence (pre-grasp, grasp, lift / place), as V-JEPA 2-AC did.
SUBGOAL_ENVS = ("franka-grasp", "franka-pick-place")


class EnvMPCPolicy:
    """The harness-facing policy; creates the inner WorldModelPolicy in ``bind_env``."""

    def __init__(
        self,
        model: WorldModel,
        cfg: PolicyConfig,
        env_name: str,
        device: torch.device | str = "cpu",
        use_subgoals: bool | None = None,
    ) -> None:
        self.model, self.cfg, self.env_name = model, cfg, env_name
        self.device = torch.device(device)
        self.use_subgoals = env_name in SUBGOAL_ENVS if use_subgoals is None else use_subgoals
        self.name = f"wm-{cfg.planner.name}"
        self.inner: WorldModelPolicy | None = None
        self.steps_per_subgoal: int | None = cfg.steps_per_subgoal
        self.env: Any = None
        self.plan_ms: list[float] = []
        self.step_ms: list[float] = []
        self.energies: list[float] = []

    def bind_env(self, env: Any) -> None:
        self.env = env
        spec = env.action_spec
        options = dict(self.cfg.planner.options)
        options.setdefault("fixed_dims", list(default_fixed_dims(spec.names, self.env_name)))
        cfg = dataclasses.replace(
            self.cfg, planner=dataclasses.replace(self.cfg.planner, options=options)
        )
        self.resolved = cfg
        self.inner = WorldModelPolicy.from_config(self.model, cfg, spec.low, spec.high, self.device)

    def reset(self, seed: int | None = None) -> None:
        """New episode; a ``seed`` reseeds the planner, so the episode depends on it alone."""
        if self.inner is None:
            raise RuntimeError("EnvMPCPolicy needs bind_env(env) first")
        self.inner.reset()
        if seed is not None:
            self.inner.planner.generator.manual_seed(int(seed))
        if self.use_subgoals:
            subgoals = list(self.env.subgoals())
            steps = self.cfg.steps_per_subgoal
            if steps is None and self.cfg.switch_energy is None:  # no switching rule given
                steps = even_share(int(self.env.max_steps), len(subgoals))
            self.steps_per_subgoal = steps
            self.inner.set_subgoals(subgoals, self.cfg.switch_energy, steps)

    def __call__(self, obs: Observation, goal: Observation) -> np.ndarray:
        if self.inner is None:
            raise RuntimeError("EnvMPCPolicy needs bind_env(env) first")
        action = self.inner(obs, goal)
        info = self.inner.last_info
        if info.get("replanned"):
            self.plan_ms.append(float(info["plan_ms"]))
        self.step_ms.append(float(info["step_ms"]))
        self.energies.append(float(info["energy"]))
        return action

    def take_samples(self) -> dict[str, list[float]]:
        """The per-step samples so far, cleared (a worker process hands them to the parent)."""
        out = {"plan_ms": self.plan_ms, "step_ms": self.step_ms, "energies": self.energies}
        self.plan_ms, self.step_ms, self.energies = [], [], []
        return out

    def merge_samples(self, samples: dict[str, list[float]]) -> None:
        """Add samples from :meth:`take_samples` of a worker's copy of this policy."""
        self.plan_ms += samples["plan_ms"]
        self.step_ms += samples["step_ms"]
        self.energies += samples["energies"]

    def timing(self) -> dict[str, float]:
        """Planning and whole-step latency over every step so far (ms)."""

        def stats(xs: list[float]) -> dict[str, float]:
            if not xs:
                return {"mean": 0.0, "p50": 0.0, "p95": 0.0}
            a = np.asarray(xs)
            return {k: float(f(a)) for k, f in (("mean", np.mean), ("p50", np.median))} | {
                "p95": float(np.percentile(a, 95))
            }

        return {"plan_ms": stats(self.plan_ms), "step_ms": stats(self.step_ms)}


def _bind_for_report(policy: EnvMPCPolicy, env_name: str, seed: int) -> None:
    """Resolve the policy's config against the env here, while worker copies do the planning."""
    from sim.registry import make_env

    env = make_env(env_name)
    try:
        env.reset(seed=seed)
        policy.bind_env(env)
        policy.reset()
    finally:
        env.close()


def evaluate_planner(
    model: WorldModel,
    cfg: PolicyConfig,
    run: EvalConfig,
    *,
    device: torch.device | str = "cpu",
    use_subgoals: bool | None = None,
    policy_factory: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """Closed-loop success of the world-model policy ``cfg`` on ``run``'s held-out seeds; a
    JSON-able report. ``run.image_size`` and ``run.wrist_camera`` are the model's (its image
    side, and whether it sees a second view); use_subgoals None: the env's default
    (SUBGOAL_ENVS). ``run.workers > 1``: ``policy_factory`` builds the policy in each worker
    (see sim.evaluate)."""
    from sim.evaluate import evaluate

    policy = EnvMPCPolicy(model, cfg, run.env, device, use_subgoals)
    image_size = int(getattr(model, "image_size", 64))
    run = dataclasses.replace(
        run,
        image_size=image_size if image_size in (64, 96, 128) else 64,
        # a model that sees a camera besides the main one needs the env to render it
        wrist_camera=len(getattr(model, "views", ("rgb",))) > 1,
    )
    if run.workers > 1:
        _bind_for_report(policy, run.env, run.seed_start)
    report = evaluate(run, policy, policy_factory)
    out = report.to_dict()
    out["policy_config"] = to_dict(policy.resolved)
    out["subgoals"] = policy.use_subgoals
    if policy.use_subgoals:
        out["policy_config"]["steps_per_subgoal"] = policy.steps_per_subgoal
    out["timing"] = policy.timing()
    return out
