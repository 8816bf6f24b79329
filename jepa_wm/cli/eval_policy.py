"""``jepa-wm eval-policy``: closed-loop success rate of a scripted policy on held-out seeds.

Example::

    jepa-wm eval-policy --env franka-grasp --policy expert --episodes 30 --json --video videos/
    jepa-wm eval-policy --env franka-reach --policy mixed --episodes 30 --workers 2
"""

from __future__ import annotations

import argparse
import json

from jepa_wm.cli.collect import ENV_NAMES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", required=True, choices=ENV_NAMES, help="task name")
    parser.add_argument(
        "--policy", default="expert", choices=("expert", "random", "mixed"), help="policy"
    )
    parser.add_argument("--episodes", type=int, default=30, help="number of episodes")
    parser.add_argument(
        "--seed-start", type=int, default=None, help="first seed (default: evaluation range)"
    )
    parser.add_argument("--image-size", type=int, default=64, choices=(64, 96, 128))
    parser.add_argument("--wrist", action="store_true", help="also render the wrist camera")
    parser.add_argument("--max-steps", type=int, default=None, help="per-episode step cap")
    parser.add_argument("--video", default=None, help="write mp4s (obs | goal) to this folder")
    parser.add_argument(
        "--video-episodes", type=int, nargs="+", default=[0], help="episode indices to film"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="processes running episodes (default 1)"
    )
    parser.add_argument("--json", action="store_true", help="print the full JSON report")
    parser.add_argument("--out", default=None, help="also write the JSON report to this file")


def run(args: argparse.Namespace) -> int:
    from jepa_wm.errors import ConfigError
    from sim.evaluate import EvalConfig, evaluate
    from sim.seeds import EVAL_SEEDS_START

    if args.episodes < 1:
        raise ConfigError(f"--episodes must be >= 1, got {args.episodes}")
    if args.workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {args.workers}")
    cfg = EvalConfig(
        args.env,
        episodes=args.episodes,
        seed_start=EVAL_SEEDS_START if args.seed_start is None else args.seed_start,
        image_size=args.image_size,
        wrist_camera=args.wrist,
        max_steps=args.max_steps,
        video_dir=args.video,
        video_episodes=tuple(args.video_episodes),
        workers=args.workers,
        progress=not args.json,
    )
    report = evaluate(cfg, args.policy)
    text = json.dumps(report.to_dict(), indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    if args.json:
        print(text)
    else:
        lo, hi = report.ci95
        print(
            f"{report.env} {report.policy}: success {report.success_rate:.1%} "
            f"(95% CI {lo:.1%}-{hi:.1%}) over {len(report.episodes)} episodes, "
            f"mean steps {report.mean_steps:.1f}, {report.seconds:.1f} s"
        )
        for v in report.videos:
            print(f"video: {v}")
    return 0
