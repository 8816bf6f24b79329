"""``jepa-wm bench planner --preset P``: one preset of the size ladder at two CEM budgets.

For V-JEPA 2-AC's budget (400 samples, 10 iterations, horizon 2) and ours (the tuned
closed-loop config: 100 samples, 2 iterations, horizon 1), each overridable with ``--samples``,
``--iterations`` and ``--horizon`` (the JSON records the budget used), it times full MPC steps
(encode + context + CEM) of a randomly initialised model of the preset through the chosen
``--backend`` on ``--device`` and, in the same run, through eager fp32 torch (on CUDA the torch
backend replays CUDA graphs; on a CPU torch IS eager fp32, so that row is measured once).

Each step plans from a one-frame context, as V-JEPA 2-AC does. FLOPs per step come from
``torch.utils.flop_counter`` over one single-sample rollout times the rollouts of a step, plus
one frame's encoding; achieved FLOP/s is that over the measured step time, shown next to the
device's peak: a large fp32 (and on CUDA bf16) matmul measured in the same run, and the
datasheet's dense peak where the device is known. ``compute_floor_s`` = FLOPs per step / the
bf16 peak: no implementation of the same FLOPs can be faster.

Example::

    jepa-wm bench planner --preset tiny --json
    jepa-wm bench planner --preset vjepa2-ac --samples 2 --iterations 1 --horizon 1 --steps 1
    jepa-wm bench planner --preset small --device cuda --backend torch --json
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

    from jepa_wm.models.world_model import JepaWorldModel

BUDGETS: dict[str, dict[str, int]] = {
    "vjepa2-ac": {"samples": 400, "iterations": 10, "horizon": 2},
    "ours": {"samples": 100, "iterations": 2, "horizon": 1},
}
# Dense (no sparsity) datasheet peaks in FLOP/s, matched on the CUDA device name.
NOMINAL_PEAKS: dict[str, dict[str, float]] = {
    "H200": {"bf16": 989e12, "fp32": 67e12},
    "H100": {"bf16": 989e12, "fp32": 67e12},
    "A100": {"bf16": 312e12, "fp32": 19.5e12},
    "RTX 4090": {"bf16": 165e12, "fp32": 82.6e12},
}


def budgets(args: argparse.Namespace) -> dict[str, dict[str, int]]:
    """BUDGETS with the ``--samples/--iterations/--horizon`` overrides that were given."""
    over = {k: getattr(args, k) for k in ("samples", "iterations", "horizon")}
    return {
        name: {k: int(over[k]) if over[k] is not None else v for k, v in b.items()}
        for name, b in BUDGETS.items()
    }


def measured_matmul_peak(
    device: torch.device, dtype: torch.dtype, size: int, repeats: int
) -> float:
    """FLOP/s of ``repeats`` [size x size] @ [size x size] products on ``device``."""
    import torch

    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    a @ b
    sync()
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ b
    sync()
    return 2 * size**3 * repeats / (time.perf_counter() - t0)


def peaks(device: torch.device) -> dict[str, Any]:
    """Measured matmul peaks (fp32; bf16 on CUDA) and the datasheet's, where known."""
    import torch

    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        out: dict[str, Any] = {
            "device_name": name,
            "measured_fp32": measured_matmul_peak(device, torch.float32, 8192, 20),
            "measured_bf16": measured_matmul_peak(device, torch.bfloat16, 8192, 50),
        }
        nominal = next((v for k, v in NOMINAL_PEAKS.items() if k in name), None)
        out["nominal_bf16"] = nominal["bf16"] if nominal else None
        out["nominal_fp32"] = nominal["fp32"] if nominal else None
        return out
    return {
        "device_name": "cpu",
        "measured_fp32": measured_matmul_peak(device, torch.float32, 1024, 10),
        "threads": torch.get_num_threads(),
    }


def _flops_per_step(
    model: JepaWorldModel, budget: dict[str, int], rollouts: float, device: torch.device
) -> float:
    """One frame's encoding + ``rollouts`` single-sample rollouts of the budget's horizon."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    size = model.image_size
    rgb = torch.zeros(1, 1, size, size, 3, dtype=torch.uint8, device=device)
    with torch.no_grad():
        with FlopCounterMode(display=False) as enc:
            z = model.encode(rgb)
        ctx = model.make_context(
            z,
            torch.zeros(1, 1, model.state_dim, device=device),
            z.new_zeros(1, 0, model.action_dim),
        )
        with FlopCounterMode(display=False) as roll:
            model.rollout(ctx, torch.zeros(1, budget["horizon"], model.action_dim, device=device))
    return float(enc.get_total_flops()) + rollouts * float(roll.get_total_flops())


def _time_policy(pol: Any, obs: list[Any], warmup: int, steps: int) -> dict[str, Any]:
    """ms per full MPC step over ``steps`` timed steps, each from a one-frame context."""
    ms, cpu_ms, rollouts = [], [], []
    for i in range(warmup + steps):
        pol.reset()  # plan from one frame, no warm start: V-JEPA 2-AC's setting
        t0, c0 = time.perf_counter(), time.process_time()
        pol(obs[i % (len(obs) - 1)], obs[-1])  # returns numpy: CUDA work is done
        if i >= warmup:
            ms.append((time.perf_counter() - t0) * 1e3)
            # this process's CPU time: the step's cost without the other load on the machine
            cpu_ms.append((time.process_time() - c0) * 1e3)
            rollouts.append(pol.last_info["rollouts"])
    ordered = sorted(ms)
    return {
        "ms_per_step_p50": statistics.median(ms),
        "ms_per_step_p95": ordered[min(len(ms) - 1, int(0.95 * len(ms)))],
        "cpu_ms_per_step_p50": statistics.median(cpu_ms),
        "steps": steps,
        "rollouts_per_step": statistics.fmean(rollouts),
    }


def _variant(
    model: JepaWorldModel, budget: dict, args: argparse.Namespace, backend: str, eager: bool
) -> dict:
    import torch

    from jepa_wm.app.policy import WorldModelPolicy
    from jepa_wm.bench.planner import _bounds, _observations
    from jepa_wm.models.backends import TorchBackend

    low, high = _bounds(model)
    overrides = {
        "samples": budget["samples"],
        "iterations": budget["iterations"],
        "topk": max(1, min(10, budget["samples"] // 10)),
        "seed": 0,
    }
    pol = WorldModelPolicy(
        model, "cem", overrides, args.device, low, high, horizon=budget["horizon"],
        backend=backend,
    )  # fmt: skip
    if eager:
        pol.backend = TorchBackend(model, args.device, eager=True)
    out = _time_policy(pol, _observations(model, 4), args.warmup, args.steps)
    fast = getattr(pol.backend, "fast", None)
    if fast is not None:
        out["cuda_graphs"] = fast.stats()
        out["bf16"] = fast.uses_bf16(budget["samples"], budget["horizon"])
    out["backend"] = "torch-eager-fp32" if eager else backend
    del pol
    if torch.device(args.device).type == "cuda":
        torch.cuda.empty_cache()
    return out


def run_ladder(args: argparse.Namespace) -> dict[str, Any]:
    """The report of ``bench planner --preset``: per budget, the backend next to eager fp32."""
    import torch

    from jepa_wm.bench.planner import _random_preset

    device = torch.device(args.device)
    model = _random_preset(args.preset, device)
    report: dict[str, Any] = {
        "preset": args.preset,
        "device": str(device),
        "backend": args.backend,
        "torch": torch.__version__,
        "predictor_params": sum(p.numel() for p in model.predictor.parameters()),
        "tokens_per_frame": model.num_tokens + model.predictor.prefix,
        "peak_flops": peaks(device),
        "budgets": {},
    }
    same_as_eager = args.backend == "torch" and device.type != "cuda"
    for name, budget in budgets(args).items():
        rows = {"backend": _variant(model, budget, args, args.backend, eager=False)}
        rows["eager_fp32"] = (
            rows["backend"] if same_as_eager else _variant(model, budget, args, "torch", True)
        )
        flops = _flops_per_step(model, budget, rows["backend"]["rollouts_per_step"], device)
        for row in rows.values():
            s = row["ms_per_step_p50"] / 1e3
            row["mpc_steps_per_s"] = 1.0 / s
            row["rollouts_per_s"] = row["rollouts_per_step"] / s
            row["achieved_flop_per_s"] = flops / s
            row["fraction_of_measured_fp32_peak"] = (
                flops / s / report["peak_flops"]["measured_fp32"]
            )
        bf16_peak = report["peak_flops"].get("nominal_bf16") or report["peak_flops"].get(
            "measured_bf16"
        )
        report["budgets"][name] = {
            **budget,
            "flops_per_step": flops,
            "compute_floor_s": flops / bf16_peak if bf16_peak else None,
            "speedup_over_eager_fp32": rows["eager_fp32"]["ms_per_step_p50"]
            / rows["backend"]["ms_per_step_p50"],
            "eager_is_the_backend": same_as_eager,
            **rows,
        }
    return report
