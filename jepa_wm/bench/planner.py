"""``jepa-wm bench planner``: ms per MPC step and rollouts/s per planner, vs a naive rollout.

Every planner runs at the same budget (samples x iterations x horizon) through the full
WorldModelPolicy step (encode, context, plan). In the same run, CEM plans once with the
KV-cached rollout (through the torch backend: a replayed CUDA graph on CUDA) and once with
``model.rollout_naive`` (no cache: the whole context is re-run
for every rollout step, as V-JEPA 2-AC's reference code does) on a history-context config
(context >= 4 frames, horizon >= 3), and reports the speed-up. Model FLOPs per plan are
counted with ``torch.utils.flop_counter.FlopCounterMode``; FLOP/s = FLOPs / plan time.

With ``--preset P`` it instead times one preset of the size ladder at V-JEPA 2-AC's CEM budget
and ours, next to eager fp32 (``jepa_wm.bench.ladder``).

Example::

    jepa-wm bench planner --checkpoint runs/reach --json
    jepa-wm bench planner              # a randomly initialised tiny model, so it always runs
    jepa-wm bench planner --preset small --device cuda --json
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

PLANNERS = ("cem", "icem", "mppi", "gradient", "random")
# The task whose tuned policy sets the default budget (the main use: the grasp pipeline).
BENCH_POLICY = "franka-grasp"


def default_budget(policy: str = BENCH_POLICY) -> dict[str, int]:
    """samples, iterations, topk and horizon of ``policy``'s policy file: the budget every
    planner runs at unless --samples / --iterations / --horizon say otherwise."""
    from jepa_wm.app.policy_files import load_policy_config

    cfg = load_policy_config(None, None, policy)
    opts = cfg.planner.options
    return {
        "samples": int(opts["samples"]),
        "iterations": int(opts["iterations"]),
        "topk": int(opts["topk"]),
        "horizon": cfg.horizon,
    }


def resolve_budget(args: argparse.Namespace) -> None:
    """Fill ``args``' unset samples / iterations / horizon (and topk, unless --samples is given)
    from ``args.policy``'s policy file (see :func:`default_budget`)."""
    defaults = default_budget(getattr(args, "policy", BENCH_POLICY))
    args.topk = defaults["topk"] if args.samples is None else None
    for key in ("samples", "iterations", "horizon"):
        if getattr(args, key) is None:
            setattr(args, key, defaults[key])


def _topk(args: argparse.Namespace) -> int:
    """CEM/iCEM elites: the policy file's, or a tenth of --samples (at most 10) when given."""
    topk = getattr(args, "topk", None)
    return topk if topk is not None else max(1, min(10, args.samples // 10))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", default=None, help="default: random tiny model")
    parser.add_argument(
        "--preset", default=None, help="time this size preset (random weights) at both budgets"
    )
    parser.add_argument(
        "--backend", default="torch", help="rollout backend: torch | onnxruntime | tensorrt"
    )
    parser.add_argument("--planners", nargs="+", default=list(PLANNERS), choices=PLANNERS)
    # defaults = the budget of the tuned closed-loop policy (--policy's file, the one `jepa-wm
    # eval` loads); with --preset they override both budgets of the ladder
    parser.add_argument(
        "--policy", default=BENCH_POLICY,
        help="task whose policy file (jepa_wm/configs/policy/<task>.yaml) sets the budget",
    )  # fmt: skip
    parser.add_argument("--samples", type=int, default=None, help="samples per iteration")
    parser.add_argument("--iterations", type=int, default=None, help="planner iterations")
    parser.add_argument("--horizon", type=int, default=None, help="planning horizon")
    parser.add_argument("--history-context", type=int, default=4, help="C of the cache test")
    parser.add_argument("--history-horizon", type=int, default=3, help="H of the cache test")
    parser.add_argument("--steps", type=int, default=10, help="timed MPC steps per planner")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--device", default="cpu")


def _stats(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {
        "mean": statistics.fmean(ms),
        "p50": statistics.median(ms),
        "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
    }


def _random_model(action_dim: int, state_dim: int, context_len: int, base: Any = None) -> Any:
    """A randomly initialised model: the tiny preset, or ``base``'s config with context_len."""
    import dataclasses

    import torch

    from jepa_wm.models.config import model_config
    from jepa_wm.models.world_model import JepaWorldModel

    torch.manual_seed(0)
    if base is None:
        cfg = model_config("tiny", {"action_dim": action_dim, "state_dim": state_dim})
    else:
        cfg = base.config
    pred = dataclasses.replace(cfg.predictor, context_len=context_len)
    return JepaWorldModel(dataclasses.replace(cfg, predictor=pred)).eval()


def _random_preset(preset: str, device: Any) -> Any:
    """A randomly initialised model of size preset ``preset`` (7-D actions and states)."""
    import torch

    from jepa_wm.models.config import model_config
    from jepa_wm.models.world_model import JepaWorldModel

    torch.manual_seed(0)
    return JepaWorldModel(model_config(preset)).to(device).eval()


def bench_model(checkpoint: str | None, device: Any) -> tuple[Any, str]:
    """(model in eval mode on ``device``, its description): the checkpoint, or a random tiny."""
    from jepa_wm.models.checkpoint import load_world_model

    if checkpoint:
        return load_world_model(checkpoint, device=device).eval(), str(checkpoint)
    return _random_model(7, 7, 1).to(device), "random tiny model (no checkpoint given)"


def _observations(model: Any, n: int) -> list[Any]:
    import numpy as np

    from hardware.interfaces import Observation

    rng = np.random.default_rng(0)
    size = int(getattr(model, "image_size", 64))
    return [
        Observation(
            rgb=rng.integers(0, 255, (size, size, 3), dtype=np.uint8),
            state=rng.normal(size=model.state_dim).astype(np.float32) * 0.1,
            timestamp=float(i),
        )
        for i in range(n)
    ]


def _bounds(model: Any) -> tuple[Any, Any]:
    import numpy as np

    # Franka-like per-step bounds for 7-D actions, unit bounds otherwise (timing does not care)
    if model.action_dim == 7:
        high = np.array([0.03, 0.03, 0.03, 0.15, 0.15, 0.15, 0.02], dtype=np.float32)
    else:
        high = np.ones(model.action_dim, dtype=np.float32)
    return -high, high


def _policy_step_timing(model: Any, name: str, args: argparse.Namespace, device: str) -> dict:
    """ms per full MPC step (encode + context + plan) and rollouts/s for planner ``name``."""
    from jepa_wm.app.policy import WorldModelPolicy

    low, high = _bounds(model)
    overrides: dict[str, Any] = {"samples": args.samples, "iterations": args.iterations, "seed": 0}
    if name in ("cem", "icem"):
        overrides["topk"] = _topk(args)
    pol = WorldModelPolicy(
        model, name, overrides, device, low, high, horizon=args.horizon, name=name,
        backend="torch" if name == "gradient" else args.backend,
    )  # fmt: skip
    obs = _observations(model, args.warmup + args.steps + 1)
    goal = obs[-1]
    step_ms, cpu_ms, plan_ms, rollouts = [], [], [], []
    for i in range(args.warmup + args.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        pol(obs[i], goal)
        dt, dc = (time.perf_counter() - t0) * 1e3, (time.process_time() - c0) * 1e3
        if i >= args.warmup:
            step_ms.append(dt)
            cpu_ms.append(dc)
            plan_ms.append(pol.last_info["plan_ms"])
            rollouts.append(pol.last_info["rollouts"])
    plan_s = sum(plan_ms) / 1e3
    return {
        "ms_per_step": _stats(step_ms),
        "cpu_ms_per_step": _stats(cpu_ms),
        "plan_ms": _stats(plan_ms),
        "rollouts_per_plan": statistics.fmean(rollouts),
        "rollouts_per_s": sum(rollouts) / plan_s,
        "rollout_steps_per_s": sum(rollouts) * args.horizon / plan_s,
    }


def _cached_vs_naive(model: Any, args: argparse.Namespace, device: str) -> dict:
    """CEM at the same budget: KV-cached context + rollout vs the uncached reference."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from jepa_wm.models.backends import TorchBackend
    from planners.costs import make_cost
    from planners.interfaces import Goal, Prediction
    from planners.registry import make_planner

    c, h = model.context_len, args.history_horizon
    obs = _observations(model, c + 1)
    with torch.no_grad():
        rgb = torch.stack([torch.from_numpy(o.rgb) for o in obs])[None].to(device)
        z = model.encode(rgb)
    lat, goal_lat = z[:, :c], z[0, c]
    st = torch.stack([torch.from_numpy(o.state) for o in obs[:c]])[None].to(device)
    past = torch.zeros(1, c - 1, model.action_dim, device=device)
    low, high = (torch.from_numpy(b) for b in _bounds(model))
    goal = Goal(latent=goal_lat)

    # timed through the planner's own rollout path (on CUDA a replayed graph of the cached
    # rollout); FLOPs are counted on eager calls, since a graph replay dispatches no operators
    backend = TorchBackend(model, device)

    def cached_rollout(ctx: Any, actions: torch.Tensor) -> Prediction:
        return Prediction(*backend.rollout(ctx, actions))

    def cached_eager(ctx: Any, actions: torch.Tensor) -> Prediction:
        return Prediction(*model.rollout(ctx, actions))

    def naive_rollout(ctx: Any, actions: torch.Tensor) -> Prediction:
        return Prediction(*model.rollout_naive(*ctx, actions))

    budget = {"samples": args.samples, "iterations": args.iterations, "seed": 0}
    budget["topk"] = _topk(args)
    variants = {
        "cached": (cached_rollout, cached_eager, lambda: model.make_context(lat, st, past)),
        "naive": (naive_rollout, naive_rollout, lambda: (lat, st, past)),
    }
    out: dict[str, Any] = {"context_len": c, "horizon": h, **budget}
    for key, (rollout, eager, context) in variants.items():
        planner = make_planner("cem", rollout, make_cost(), low, high, h, device, **budget)
        ms, cpu = [], []
        with torch.no_grad():
            for i in range(args.warmup + max(3, args.steps // 2)):
                t0, c0 = time.perf_counter(), time.process_time()
                planner.plan(context(), goal)
                if i >= args.warmup:
                    ms.append((time.perf_counter() - t0) * 1e3)
                    cpu.append((time.process_time() - c0) * 1e3)
            counted = make_planner("cem", eager, make_cost(), low, high, h, device, **budget)
            with FlopCounterMode(display=False) as counter:
                counted.plan(context(), goal)
        flops = int(counter.get_total_flops())
        med = statistics.median(ms)
        out[key] = {
            "ms_per_mpc_step": _stats(ms),
            "cpu_ms_per_mpc_step": _stats(cpu),
            "flops_per_plan": flops,
            "gflop_per_s": flops / (med / 1e3) / 1e9,
            "gflop_per_cpu_s": flops / (statistics.median(cpu) / 1e3) / 1e9,
        }
    wall, cpu_t = "ms_per_mpc_step", "cpu_ms_per_mpc_step"
    out["speedup"] = out["naive"][wall]["p50"] / out["cached"][wall]["p50"]
    out["cpu_speedup"] = out["naive"][cpu_t]["p50"] / out["cached"][cpu_t]["p50"]
    return out


def run(args: argparse.Namespace) -> dict:
    import torch

    from jepa_wm.errors import ConfigError

    torch.set_num_threads(max(1, int(args.threads)))
    if args.preset is not None:
        if args.checkpoint:
            raise ConfigError("--preset times random weights: give it or --checkpoint, not both")
        from jepa_wm.bench.ladder import run_ladder
        from jepa_wm.models.config import preset_dict

        preset_dict(args.preset)  # an unknown name is one line listing the valid ones
        return run_ladder(args)
    resolve_budget(args)
    device = args.device
    model, source = bench_model(args.checkpoint, device)
    report: dict[str, Any] = {
        "model": source,
        "model_context_len": model.context_len,
        "threads": torch.get_num_threads(),
        "backend": args.backend,
        "budget": {"samples": args.samples, "iterations": args.iterations, "horizon": args.horizon},
        "planners": {},
    }
    for name in args.planners:
        report["planners"][name] = _policy_step_timing(model, name, args, device)
    if "cem" in report["planners"]:
        cem = report["planners"]["cem"]
        report["default_step_ms_p50"] = cem["ms_per_step"]["p50"]
        # CPU time of this process: what the step costs without the other load on the machine
        report["default_step_cpu_ms_p50"] = cem["cpu_ms_per_step"]["p50"]
        report["default_step_within_100ms"] = report["default_step_ms_p50"] <= 100.0
    hist = model
    if model.context_len < args.history_context:
        # the checkpoint is Markov: the cache comparison needs history, so use the same
        # architecture with a longer context, randomly initialised (timing only)
        hist = _random_model(model.action_dim, model.state_dim, args.history_context, model)
        hist = hist.to(device)
    report["history"] = _cached_vs_naive(hist, args, device)
    report["history"]["model"] = source if hist is model else "random, same architecture"
    report["history"]["cached_at_least_3x"] = report["history"]["speedup"] >= 3.0
    return report
