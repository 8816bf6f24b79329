"""``jepa-wm bench <name> [--json]``: each benchmark compares against a baseline in the same run.

A benchmark is a module ``jepa_wm.bench.<module>`` with ``add_arguments(parser)`` and
``run(args) -> dict`` (the JSON report).
"""

from __future__ import annotations

import argparse
import importlib
import json

BENCHES: dict[str, tuple[str, str]] = {
    "data": ("data", "random-clip loading: zarr vs HDF5 vs a naive per-frame reader"),
    "planner": ("planner", "ms per MPC step per planner, vs a naive uncached rollout"),
    "rollout": ("rollout", "the batched rollout in bf16, CUDA graphs, torch.compile, vs fp32"),
    "ros": ("ros", "camera-to-command latency over loopback DDS, vs raw rclpy pub/sub"),
    "camera": (
        "camera",
        "640x480/1280x720 rgb8 at 30 Hz to a planner-QoS subscriber, by transport",
    ),
    "bag2zarr": ("bag2zarr", "bag conversion frames/s for mcap and sqlite3"),
    "faults": ("faults", "the fault battery: expected vs what happened, per case"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="bench", metavar="<bench>", required=True)
    for name, (module, help_text) in BENCHES.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="print only the JSON report")
        p.add_argument("--out", help="also write the JSON report to this file")
        # Bench modules keep heavy imports inside run(), so building this parser stays cheap.
        importlib.import_module(f"jepa_wm.bench.{module}").add_arguments(p)


def run(args: argparse.Namespace) -> int:
    module = importlib.import_module(f"jepa_wm.bench.{BENCHES[args.bench][0]}")
    report = module.run(args)
    text = json.dumps(report, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)
    return 0
