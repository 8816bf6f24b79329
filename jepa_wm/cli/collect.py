"""``jepa-wm collect``: record pybullet episodes into a trajectory store (re-running appends).

Example::

    jepa-wm collect --env franka-grasp --episodes 200 --out data/grasp.zarr --policy mixed --wrist
    jepa-wm collect --env franka-reach --episodes 200 --out data/reach.zarr --workers 2
"""

from __future__ import annotations

import argparse
import json

ENV_NAMES = ("franka-reach", "franka-push", "franka-grasp", "franka-pick-place", "husky-nav")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", required=True, choices=ENV_NAMES, help="task name")
    parser.add_argument("--episodes", type=int, required=True, help="episodes to add")
    parser.add_argument("--out", required=True, help="trajectory store path (created or appended)")
    parser.add_argument(
        "--policy", default="mixed", choices=("expert", "random", "mixed"),
        help="scripted policy (mixed: noisy expert + correlated random; default)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="first scene seed (default 0)")
    parser.add_argument("--image-size", type=int, default=64, choices=(64, 96, 128))
    parser.add_argument("--wrist", action="store_true", help="also record the wrist camera")
    parser.add_argument("--max-steps", type=int, default=None, help="per-episode step cap")
    parser.add_argument(
        "--workers", type=int, default=1,
        help="processes rolling out episodes (same store for any number; default 1)",
    )  # fmt: skip
    parser.add_argument(
        "--ray", nargs="?", const="local", metavar="ADDRESS",
        help="run the --workers as Ray actors (a cluster address, or a local runtime)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the summary as JSON only")


def run(args: argparse.Namespace) -> int:
    from jepa_wm.app.collect import CollectConfig, collect

    cfg = CollectConfig(
        env=args.env,
        episodes=args.episodes,
        out=args.out,
        policy=args.policy,
        seed=args.seed,
        image_size=args.image_size,
        wrist=args.wrist,
        max_steps=args.max_steps,
        progress=not args.json,
    )
    summary = collect(cfg, workers=args.workers, ray_address=args.ray)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"{summary['out']}: +{summary['episodes_added']} episodes "
            f"({summary['steps_added']} steps, {summary['steps_per_s'] or 0:.1f} steps/s); "
            f"now {summary['num_episodes']} episodes, {summary['num_steps']} steps"
        )
    return 0
