"""``jepa-wm bench rollout``: the planner's inner call in fp32 vs bf16, CUDA graphs, torch.compile.

One CEM/MPPI iteration costs one batched ``model.rollout(context, actions[N, H, A])``, from a
one-frame context. For each (N, H) case this times that call in fp32 eager (the baseline), under
bf16 autocast and, on CUDA, as a captured CUDA graph replayed on static inputs (no per-kernel
launch cost); with ``--compile`` it also times ``torch.compile(model.rollout)`` on one case. Each
variant reports its speed-up over fp32 eager in the same run and its max abs deviation from the
fp32 latents (next to their mean magnitude), so a faster but wrong variant shows.

Example::

    jepa-wm bench rollout --checkpoint models/tiny-wm --device cuda --compile --json
    jepa-wm bench rollout --cases 100x1 1000x3          # CPU, a randomly initialised tiny model
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jepa_wm.errors import ConfigError

if TYPE_CHECKING:
    import torch

    from jepa_wm.models.world_model import Context, JepaWorldModel

DEFAULT_CASES = ("100x1", "1000x1", "1000x3", "10000x3")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", default=None, help="default: random tiny model")
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--cases", nargs="+", default=list(DEFAULT_CASES), help="SAMPLESxHORIZON batches"
    )
    parser.add_argument("--repeats", type=int, default=50, help="timed calls per variant")
    parser.add_argument("--warmup", type=int, default=5, help="untimed calls first")
    parser.add_argument(
        "--compile", action="store_true", help="also time torch.compile on the --compile-case"
    )
    parser.add_argument("--compile-case", default="1000x3")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")


def parse_case(text: str) -> tuple[int, int]:
    """'1000x3' -> (1000, 3); a ConfigError (one line from the CLI) for anything else."""
    try:
        n, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"a case is SAMPLESxHORIZON such as 1000x3, got {text!r}") from None
    if n < 1 or h < 1:
        raise ConfigError(f"samples and horizon must be >= 1, got {text!r}")
    return n, h


def _time_ms(fn: Callable[[], Any], device: torch.device, repeats: int, warmup: int) -> float:
    """Mean wall ms per call; CUDA work is synchronised before the clock is read."""
    import torch

    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        fn()
    sync()
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    sync()
    return (time.perf_counter() - t0) / max(1, repeats) * 1e3


def _capture(
    fn: Callable[[], torch.Tensor], device: torch.device
) -> tuple[torch.cuda.CUDAGraph, torch.Tensor]:
    """(graph, static output) of ``fn`` captured as a CUDA graph after a side-stream warm-up."""
    import torch

    side = torch.cuda.Stream(device)
    side.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(side):
        for _ in range(3):
            fn()
    torch.cuda.current_stream(device).wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = fn()
    return graph, out


def _max_err(out: torch.Tensor, ref: torch.Tensor) -> float:
    return float((out.float() - ref).abs().max())


def _actions(model: JepaWorldModel, n: int, h: int, device: torch.device) -> torch.Tensor:
    """Small random actions [n, h, A], the same for a given case on every device."""
    import torch

    gen = torch.Generator(device="cpu").manual_seed(n * 100 + h)
    return (torch.randn(n, h, model.action_dim, generator=gen) * 0.02).to(device)


def _case(
    model: JepaWorldModel,
    ctx: Context,
    n: int,
    h: int,
    args: argparse.Namespace,
    device: torch.device,
) -> dict:
    import torch

    actions = _actions(model, n, h, device)

    def call() -> Any:
        return model.rollout(ctx, actions)[0]

    rep = {"samples": n, "horizon": h}
    timing = {"repeats": args.repeats, "warmup": args.warmup}
    ref = call()
    rep["latent_abs_mean"] = float(ref.abs().mean())
    rep["fp32_ms"] = _time_ms(call, device, **timing)
    with torch.autocast(device.type, dtype=torch.bfloat16):
        rep["bf16_max_abs_err"] = _max_err(call(), ref)
        rep["bf16_ms"] = _time_ms(call, device, **timing)
    rep["bf16_speedup"] = rep["fp32_ms"] / rep["bf16_ms"]
    if device.type == "cuda":
        graph, out = _capture(call, device)
        rep["graph_ms"] = _time_ms(graph.replay, device, **timing)
        rep["graph_max_abs_err"] = _max_err(out, ref)
        rep["graph_speedup"] = rep["fp32_ms"] / rep["graph_ms"]
    else:
        rep["graph_ms"] = None  # CUDA graphs need a CUDA device
    return rep


def _compiled(
    model: JepaWorldModel,
    ctx: Context,
    n: int,
    h: int,
    args: argparse.Namespace,
    device: torch.device,
) -> dict:
    """torch.compile(model.rollout) on one case: compile seconds, ms, speed-up, deviation."""
    import torch

    actions = _actions(model, n, h, device)
    ref = model.rollout(ctx, actions)[0]
    eager = _time_ms(lambda: model.rollout(ctx, actions), device, args.repeats, args.warmup)
    t0 = time.perf_counter()
    fast = torch.compile(model.rollout)
    out = fast(ctx, actions)[0]
    compile_s = time.perf_counter() - t0
    ms = _time_ms(lambda: fast(ctx, actions), device, args.repeats, args.warmup)
    return {
        "samples": n,
        "horizon": h,
        "compile_s": compile_s,
        "fp32_ms": eager,
        "compiled_ms": ms,
        "speedup": eager / ms,
        "max_abs_err": _max_err(out, ref),
    }


def run(args: argparse.Namespace) -> dict:
    import torch

    from jepa_wm.bench.planner import bench_model

    cases = [parse_case(c) for c in args.cases]
    torch.set_num_threads(max(1, int(args.threads)))
    device = torch.device(args.device)
    model, source = bench_model(args.checkpoint, device)
    gen = torch.Generator(device="cpu").manual_seed(0)
    size = model.image_size
    frame = torch.randint(0, 256, (1, 1, size, size, 3), dtype=torch.uint8, generator=gen)
    report: dict[str, Any] = {
        "model": source,
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }
    with torch.no_grad():
        z = model.encode(frame.to(device))
        state = torch.zeros(1, 1, model.state_dim, device=device)
        ctx = model.make_context(z, state, torch.zeros(1, 0, model.action_dim, device=device))
        report["cases"] = [_case(model, ctx, n, h, args, device) for n, h in cases]
        if args.compile:
            report["compile"] = _compiled(model, ctx, *parse_case(args.compile_case), args, device)
    return report
