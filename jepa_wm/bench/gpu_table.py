"""The GPU table: every size preset on one CUDA device, with the fast path checked first.

Trains nothing (random weights time the same as trained ones). In one run, on ``--device``:

1. parity: the captured-graph rollout (``jepa_wm.models.fast_rollout``) against eager torch on
   the same device, fp32 (``tiny``, a history config of ``small``) and bf16 (``vjepa2-ac``);
   onnxruntime and TensorRT against eager torch where they run here. A parity failure stops
   the run: a fast wrong answer is not a result.
2. history: CEM with the graphed KV-cached rollout vs the uncached naive rollout (4-frame
   context, horizon 3): the cached path must win on the GPU too.
3. the ladder: ``bench planner --preset P --device D`` for tiny, small, base and vjepa2-ac, at
   V-JEPA 2-AC's budget and ours, next to eager fp32; ``tiny``/``small`` also at 300 samples
   (the target: >= 200 MPC steps/s).
4. reductions: seconds per action of ``vjepa2-ac`` under the budget reductions the planner
   offers (fewer iterations, fewer samples with warm starts, iCEM, pooled patch tokens). Their
   cost in action recovery needs a trained ``small`` model and is not measured here.

Writes ``gpu_table.json`` and ``gpu_table.md`` (the README's table) into ``--out``.

Usage (on a GPU host; estimated 3-5 minutes on an H200, never run yet)::

    python -m jepa_wm.bench.gpu_table --device cuda --out artifacts/gpu_table
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from jepa_wm.bench.ladder import run_ladder
from jepa_wm.bench.planner import _random_preset
from jepa_wm.models.backends import PARITY_ATOL, make_backend
from jepa_wm.models.fast_rollout import GraphedRollout

if TYPE_CHECKING:
    from jepa_wm.models.world_model import JepaWorldModel

# (preset, timed steps, warmup steps): the big presets' eager fp32 rows take seconds per step
LADDER = (("tiny", 20, 3), ("small", 20, 3), ("base", 5, 2), ("vjepa2-ac", 2, 1))
BF16_TOL = 0.1  # bf16 latents (layer-normed, ~unit scale) drift by ~1e-2 over a rollout


def _context(
    model: JepaWorldModel, frames: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random layer-normed latents [1,F,P,D], states [1,F,S] and past actions [1,F-1,A]."""
    g = torch.Generator().manual_seed(0)
    lat = torch.nn.functional.layer_norm(
        torch.randn(1, frames, model.num_tokens, model.latent_dim, generator=g),
        (model.latent_dim,),
    ).to(device)
    st = torch.randn(1, frames, model.state_dim, generator=g).to(device)
    past = (0.1 * torch.randn(1, frames - 1, model.action_dim, generator=g)).to(device)
    return lat, st, past


PARITY_CASES = (  # (preset, context frames, samples, horizon, tolerance)
    ("tiny", 1, 100, 1, 1e-4),
    ("small", 4, 100, 3, 1e-4),
    ("vjepa2-ac", 1, 400, 2, BF16_TOL),
)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@torch.no_grad()
def parity(device: torch.device, cases: tuple = PARITY_CASES) -> dict[str, Any]:
    """Max |fast - eager| per backend and preset; raises if one is past its tolerance."""
    out: dict[str, Any] = {}
    for preset, frames, n, h, tol in cases:
        model = _random_preset(preset, device)
        for p in model.predictor.parameters():  # residual heads start at zero: make them act
            torch.nn.init.normal_(p, std=0.02)
        raw = _context(model, frames, device)
        ctx = model.make_context(*raw)
        actions = 0.02 * torch.randn(n, h, model.action_dim, device=device)
        ref = model.rollout(ctx, actions)[0]
        fast = GraphedRollout(model, device)
        for _ in range(2):  # capture, then a replay
            got = fast(ctx, actions)[0]
        err = float((got - ref).abs().max())
        out[f"graph_{preset}"] = {"max_abs_err": err, "tol": tol, "bf16": fast.uses_bf16(n, h)}
        if not err <= tol:
            raise SystemExit(f"parity failed: graphed {preset} differs by {err:.3g} > {tol}")
        if preset == "vjepa2-ac":
            continue  # onnxruntime on CPU at 300M parameters: minutes, not a GPU result
        for name in ("onnxruntime", "tensorrt"):
            try:
                be = make_backend(name, model, device)
            except Exception as exc:  # recorded: the table says why it is absent
                out[f"{name}_{preset}"] = {"skipped": str(exc)}
                continue
            err = float((be.rollout(be.make_context(*raw), actions)[0] - ref).abs().max())
            out[f"{name}_{preset}"] = {
                "max_abs_err": err,
                "tol": PARITY_ATOL * 10,
                "providers": getattr(be, "providers", None),
            }
            if not err <= PARITY_ATOL * 10:
                raise SystemExit(f"parity failed: {name} {preset} differs by {err:.3g}")
        del model
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return out


@torch.no_grad()
def history(
    device: torch.device, plans: int = 20, preset: str = "small", samples: int = 100
) -> dict[str, Any]:
    """CEM (100 x 2, horizon 3, 4-frame context of ``small``): graphed cached vs eager naive."""
    from planners.costs import make_cost
    from planners.interfaces import Goal, Prediction
    from planners.registry import make_planner

    model = _random_preset(preset, device)
    lat, st, past = _context(model, 4, device)
    goal = Goal(latent=lat[0, -1])
    fast = GraphedRollout(model, device)
    low, high = -0.05 * torch.ones(model.action_dim), 0.05 * torch.ones(model.action_dim)
    budget = {"samples": samples, "iterations": 2, "topk": min(10, samples), "seed": 0}
    variants = {
        "cached_graphed": (
            lambda c, a: Prediction(*fast(c, a)),
            lambda: model.make_context(lat, st, past),
        ),
        "cached_eager": (
            lambda c, a: Prediction(*model.rollout(c, a)),
            lambda: model.make_context(lat, st, past),
        ),
        "naive_eager": (
            lambda c, a: Prediction(*model.rollout_naive(*c, a)),
            lambda: (lat, st, past),
        ),
    }
    out: dict[str, Any] = {"preset": preset, "context": 4, "horizon": 3, **budget}
    for name, (rollout, context) in variants.items():
        planner = make_planner("cem", rollout, make_cost(), low, high, 3, device, **budget)
        ms = []
        for i in range(plans + 3):
            _sync(device)
            t0 = time.perf_counter()
            planner.plan(context(), goal)
            _sync(device)
            if i >= 3:
                ms.append((time.perf_counter() - t0) * 1e3)
        out[name] = {"ms_per_plan_p50": statistics.median(ms)}
    out["graphed_cached_over_naive"] = (
        out["naive_eager"]["ms_per_plan_p50"] / out["cached_graphed"]["ms_per_plan_p50"]
    )
    return out


def ladder(device: torch.device) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for preset, steps, warmup in LADDER:
        base = {"preset": preset, "device": str(device), "backend": "torch", "steps": steps}
        args = argparse.Namespace(
            **base, warmup=warmup, samples=None, iterations=None, horizon=None
        )
        rows[preset] = run_ladder(args)
        if preset in ("tiny", "small"):
            rows[f"{preset}@300"] = run_ladder(argparse.Namespace(**{**vars(args), "samples": 300}))
        torch.cuda.empty_cache()
    return rows


# Below V-JEPA 2-AC's compute floor only fewer FLOPs help: the budget reductions the planner
# offers, each as (planner, overrides, pool_grid of the encoder or None for the preset's).
REDUCTIONS: dict[str, tuple[str, dict[str, Any], int | None]] = {
    "cem 400 x 10 (V-JEPA 2-AC)": ("cem", {"samples": 400, "iterations": 10, "topk": 10}, None),
    "cem 400 x 3": ("cem", {"samples": 400, "iterations": 3, "topk": 10}, None),
    "cem 100 x 10, warm start": ("cem", {"samples": 100, "iterations": 10, "topk": 10}, None),
    "icem 400 x 10 (population / 1.25 per iteration)": (
        "icem",
        {"samples": 400, "iterations": 10, "topk": 10},
        None,
    ),
    "cem 400 x 10, patches pooled to 8 x 8": (
        "cem",
        {"samples": 400, "iterations": 10, "topk": 10},
        8,
    ),
}


def reductions(
    device: torch.device, preset: str = "vjepa2-ac", scale: float = 1.0, steps: int = 2
) -> dict[str, Any]:
    """Seconds per action of ``preset`` (horizon 2) under each of REDUCTIONS; the policy keeps
    its warm start across the timed steps. ``scale`` shrinks every sample count (CPU checks)."""
    import dataclasses

    from jepa_wm.app.policy import WorldModelPolicy
    from jepa_wm.bench.planner import _bounds, _observations
    from jepa_wm.models.config import model_config
    from jepa_wm.models.world_model import JepaWorldModel

    out: dict[str, Any] = {"preset": preset, "horizon": 2, "scale": scale}
    for name, (planner, over, pool) in REDUCTIONS.items():
        cfg = model_config(preset)
        if pool is not None:
            cfg = dataclasses.replace(cfg, encoder=dataclasses.replace(cfg.encoder, pool_grid=pool))
        torch.manual_seed(0)
        model = JepaWorldModel(cfg).to(device).eval()
        over = {**over, "seed": 0, "samples": max(2, int(over["samples"] * scale))}
        over["topk"] = min(over["topk"], over["samples"])
        low, high = _bounds(model)
        pol = WorldModelPolicy(model, planner, over, device, low, high, horizon=2)
        obs = _observations(model, steps + 2)
        pol(obs[0], obs[-1])  # warm-up (and CUDA graph capture)
        ms, rollouts = [], []
        for o in obs[1 : steps + 1]:
            t0 = time.perf_counter()
            pol(o, obs[-1])
            ms.append((time.perf_counter() - t0) * 1e3)
            rollouts.append(pol.last_info["rollouts"])
        out[name] = {
            "s_per_action_p50": statistics.median(ms) / 1e3,
            "rollouts_per_action": statistics.fmean(rollouts),
            "tokens_per_frame": model.num_tokens + model.predictor.prefix,
        }
        del pol, model
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return out


def markdown(report: dict[str, Any]) -> str:
    """The README table: ms per MPC step, steps/s, FLOP/s share of peak, vs eager fp32."""
    lines = [
        f"GPU table, {report['date']}, {report['device_name']}, torch {torch.__version__}",
        "",
        "| preset | budget (N x iters x H) | fast ms/step | eager fp32 ms/step | speed-up | "
        "MPC steps/s | rollouts/s | TFLOP/s | compute floor s | bf16 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for preset, rep in report["ladder"].items():
        for name, b in rep["budgets"].items():
            if preset.endswith("@300") and name != "ours":
                continue
            fast, eager = b["backend"], b["eager_fp32"]
            floor = b["compute_floor_s"]
            lines.append(
                f"| {preset} | {name}: {b['samples']} x {b['iterations']} x {b['horizon']} | "
                f"{fast['ms_per_step_p50']:.1f} | {eager['ms_per_step_p50']:.1f} | "
                f"{b['speedup_over_eager_fp32']:.2f}x | {fast['mpc_steps_per_s']:.1f} | "
                f"{fast['rollouts_per_s']:.0f} | {fast['achieved_flop_per_s'] / 1e12:.2f} | "
                f"{'-' if floor is None else f'{floor:.3f}'} | {fast.get('bf16')} |"
            )
    h = report["history"]
    lines += [
        "",
        f"History (small, 4-frame context, CEM 100 x 2, H=3): graphed cached "
        f"{h['cached_graphed']['ms_per_plan_p50']:.1f} ms, eager cached "
        f"{h['cached_eager']['ms_per_plan_p50']:.1f} ms, eager naive "
        f"{h['naive_eager']['ms_per_plan_p50']:.1f} ms per plan "
        f"({h['graphed_cached_over_naive']:.2f}x).",
    ]
    red = report.get("reductions")
    if red:
        lines += ["", f"Budget reductions ({red['preset']}, horizon 2): seconds per action", ""]
        lines += ["| reduction | s/action | rollouts/action | tokens/frame |", "|---|---|---|---|"]
        for name, row in red.items():
            if isinstance(row, dict):
                lines.append(
                    f"| {name} | {row['s_per_action_p50']:.3f} | "
                    f"{row['rollouts_per_action']:.0f} | {row['tokens_per_frame']} |"
                )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--out", default="artifacts/gpu_table")
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    if device.type != "cuda" or not torch.cuda.is_available():
        print("error: the GPU table needs a CUDA device (torch.cuda.is_available() is False)")
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device_name": torch.cuda.get_device_name(device),
        "torch": torch.__version__,
    }
    steps = (("parity", parity), ("history", history), ("ladder", ladder))
    for name, fn in (*steps, ("reductions", reductions)):
        t0 = time.perf_counter()
        report[name] = fn(device)
        print(f"{name}: {time.perf_counter() - t0:.1f} s", flush=True)
        (out / "gpu_table.json").write_text(json.dumps(report, indent=2) + "\n")  # partial too
    (out / "gpu_table.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
