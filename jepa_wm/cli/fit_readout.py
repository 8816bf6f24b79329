"""``jepa-wm fit-readout``: give a world model a state read-out for image-only goals.

The read-out (frame latents -> proprio state) lets the planner's state term work from a goal
*image*: with ``--goal image`` (``goal: image`` in a planner config) no goal state reaches the
planner, and a model with a read-out estimates it from the goal image instead.

Example::

    jepa-wm fit-readout --checkpoint models/tiny-wm --data grasp.zarr --data reach.zarr \\
        --out runs/tiny-wm-ro --steps 4000
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="world-model checkpoint dir")
    parser.add_argument("--data", action="append", required=True, help="trajectory store (repeat)")
    parser.add_argument(
        "--out", required=True, help="output checkpoint dir (may equal --checkpoint)"
    )
    parser.add_argument("--hidden", type=int, default=256, help="read-out MLP width")
    parser.add_argument("--steps", type=int, default=4000, help="optimizer steps")
    parser.add_argument("--max-seconds", type=float, default=0.0, help="wall-clock cap (0: none)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--json", action="store_true", help="print the full JSON report")


def run(args: argparse.Namespace) -> int:
    import torch

    from jepa_wm.data.store import TrajectoryStore
    from jepa_wm.models.checkpoint import load_world_model, read_checkpoint_meta, save_checkpoint
    from jepa_wm.train.readout import ReadoutConfig, fit_state_readout

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = ReadoutConfig(hidden=args.hidden, steps=args.steps, max_seconds=args.max_seconds)
    src = Path(args.checkpoint)
    meta = read_checkpoint_meta(src).get("meta", {})
    model = load_world_model(src)
    names = TrajectoryStore.open(args.data[0]).attrs.get("features", {}).get("state", {})
    report = fit_state_readout(model, args.data, cfg, names.get("names"))
    report["data"] = list(args.data)
    out = Path(args.out)
    save_checkpoint(model, out, meta={**meta, "state_readout": report})
    if src.is_dir() and out.resolve() != src.resolve():
        for extra in ("config.yaml", "config_stage1_joint.yaml"):  # the recipe travels along
            if (src / extra).is_file():
                shutil.copy2(src / extra, out / extra)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        held = report.get("held_out", {})
        pos = held.get("position_error_m")
        base = report.get("held_out_mean_baseline", {}).get("position_error_m")
        where = f"; held-out position error {pos * 100:.2f} cm (mean state: {base * 100:.2f} cm)"
        print(
            f"state read-out: {report['steps']} steps on {report['frames']} frames in "
            f"{report['seconds']:.0f} s{where if pos is not None else ''}; wrote {out}"
        )
    return 0
