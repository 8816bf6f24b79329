"""``jepa-wm viz episode|landscape``: pictures of what the planner sees and thinks.

    jepa-wm viz episode --checkpoint models/tiny-reach --env franka-reach --out artifacts/viz
    jepa-wm viz landscape --checkpoint models/tiny-reach --env franka-reach --step 5 \\
        --dims dx dy --out artifacts/viz

``episode`` writes ``<env>_seed<S>.mp4`` (H.264) and a PNG still of its last frame: a 256 px
external render, the planner's view of every camera, the current goal image, the energy curve;
with ``--rerun`` also ``<env>_seed<S>.rrd`` (open with ``rerun FILE.rrd``).
``landscape`` writes ``<env>_seed<S>_step<T>_<dx>_<dy>.png`` and a JSON of the same numbers:
the energy over two action dims at one step of a held-out episode, the planner's and the true
action marked.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from jepa_wm.cli.collect import ENV_NAMES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", choices=("episode", "landscape"), help="which picture")
    parser.add_argument("--checkpoint", required=True, help="run dir or model directory")
    parser.add_argument("--env", required=True, choices=ENV_NAMES, help="task name")
    parser.add_argument("--seed", type=int, default=None, help="default: first evaluation seed")
    parser.add_argument("--planner-config", default=None, help="YAML with PolicyConfig fields")
    parser.add_argument("--out", default="artifacts/viz", help="output folder")
    parser.add_argument("--max-steps", type=int, default=None, help="episode: step cap")
    parser.add_argument("--wrist", action="store_true", help="episode: also show the wrist view")
    parser.add_argument(
        "--rerun", action="store_true", help="episode: also write a rerun .rrd (extra 'rerun')"
    )
    parser.add_argument("--step", type=int, default=5, help="landscape: the planning step")
    parser.add_argument("--dims", nargs=2, default=None, help="landscape: two action dim names")
    parser.add_argument("--grid", type=int, default=41, help="landscape: points per axis")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    import torch

    from jepa_wm.app.mpc_eval import load_policy_config
    from jepa_wm.errors import ConfigError
    from jepa_wm.models.checkpoint import load_world_model
    from sim.seeds import EVAL_SEEDS_START

    if args.grid < 3:
        raise ConfigError(f"--grid must be >= 3, got {args.grid}")
    if args.threads:
        torch.set_num_threads(args.threads)
    seed = EVAL_SEEDS_START if args.seed is None else args.seed
    cfg = load_policy_config(args.planner_config, None, args.env)
    model = load_world_model(args.checkpoint)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.what == "episode":
        summary = _episode(model, args, cfg, seed, out)
    else:
        summary = _landscape(model, args, cfg, seed, out)
    print(json.dumps(summary, indent=2) if args.json else summary["line"])
    return 0


def _episode(model, args, cfg, seed: int, out: Path) -> dict:
    from jepa_wm.app.viz import episode_frames, record_episode
    from jepa_wm.app.viz_draw import save_png, write_mp4

    rec = record_episode(
        model, args.env, cfg, seed, args.max_steps, wrist_camera=args.wrist, progress=not args.json
    )
    frames = episode_frames(rec)
    video, still = out / f"{args.env}_seed{seed}.mp4", out / f"{args.env}_seed{seed}.png"
    write_mp4(video, frames, rec.fps)
    save_png(still, frames[-1])
    recording = None
    if args.rerun:
        from jepa_wm.app.viz_rerun import write_rerun

        recording = out / f"{args.env}_seed{seed}.rrd"
        write_rerun(rec, recording)
    steps = len(rec.energies)
    return {
        "video": str(video),
        "still": str(still),
        "rerun": None if recording is None else str(recording),
        "steps": steps,
        "success": rec.success,
        "energy_first_last": [rec.energies[0], rec.energies[-1]] if steps else [],
        "line": f"{video}: {steps} steps, {'success' if rec.success else 'no success'}, "
        f"{frames[0].shape[1]}x{frames[0].shape[0]} px; still {still}",
    }


def _landscape(model, args, cfg, seed: int, out: Path) -> dict:
    import numpy as np

    from jepa_wm.app.viz import energy_landscape
    from jepa_wm.app.viz_draw import save_png

    land = energy_landscape(
        model, args.env, cfg, seed, args.step, tuple(args.dims) if args.dims else None, args.grid
    )
    stem = f"{args.env}_seed{seed}_step{args.step}_{land.names[0]}_{land.names[1]}"
    png, data = out / f"{stem}.png", out / f"{stem}.json"
    save_png(png, land.picture())
    k = int(np.argmin(land.energy))
    doc = {
        **land.info,
        "dims": list(land.names),
        "x_values": land.x_values.tolist(),
        "y_values": land.y_values.tolist(),
        "energy": land.energy.tolist(),
        "planner_action": land.chosen.tolist(),
        "true_action": land.true.tolist(),
        "grid_argmin": [float(land.x_values[k % args.grid]), float(land.y_values[k // args.grid])],
    }
    data.write_text(json.dumps(doc) + "\n")
    i, j = land.dims
    return {
        "png": str(png),
        "json": str(data),
        "planner_action": [float(land.chosen[i]), float(land.chosen[j])],
        "true_action": [float(land.true[i]), float(land.true[j])],
        "grid_argmin": doc["grid_argmin"],
        "line": f"{png}: energy over {land.names[0]} x {land.names[1]} at step {args.step}; "
        f"planner {land.chosen[i]:+.3f},{land.chosen[j]:+.3f}  true {land.true[i]:+.3f},"
        f"{land.true[j]:+.3f}  grid argmin {doc['grid_argmin'][0]:+.3f},{doc['grid_argmin'][1]:+.3f}",
    }
