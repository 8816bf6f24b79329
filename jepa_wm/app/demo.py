"""The grasp demo: launch the ROS 2 grasp pipeline in pybullet for a few seeds, report success.

Runs ``launch/grasp_pipeline.launch.yaml`` through the launch runner (real nodes, loopback DDS,
a private ROS domain) once per episode batch, collects the task node's ``TASK_RESULT`` lines and
the mp4 of the camera view.

Usage::

    python -m jepa_wm.app.demo --checkpoint models/tiny-grasp --episodes 3
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from jepa_wm.app.launch import LaunchRunner, parse_launch_file
from jepa_wm.errors import JepaWmError

ROOT = Path(__file__).resolve().parents[2]
GRASP_LAUNCH = ROOT / "launch" / "grasp_pipeline.launch.yaml"
PKG_SRC = ROOT / "ros_ws" / "src" / "jepa_wm_ros"


@dataclass
class DemoReport:
    episodes: list[dict] = field(default_factory=list)
    video: str = ""
    wall_s: float = 0.0
    exit_code: int = 0

    @property
    def success_rate(self) -> float:
        done = [e for e in self.episodes if e.get("success") is not None]
        return sum(bool(e["success"]) for e in done) / len(done) if done else 0.0

    def to_dict(self) -> dict:
        return {
            "success_rate": self.success_rate,
            "episodes": self.episodes,
            "video": self.video,
            "wall_s": round(self.wall_s, 1),
            "exit_code": self.exit_code,
        }


def run_demo(
    checkpoint: str | Path,
    episodes: int = 3,
    seed: int = 1_000_000,
    out_dir: str | Path = "artifacts/demo",
    subgoal_timeout: float = 15.0,
    quiet: bool = True,
    goal: str = "image+state",
    views: str = "camera",
    steps_per_subgoal: int = 0,
    max_steps: int = 0,
) -> DemoReport:
    """Launch the grasp pipeline for ``episodes`` seeds from ``seed``; returns the report.

    goal: image | image+state (what of each subgoal reaches the planner); views: the camera
    views the sim publishes and the subgoals carry ("camera,wrist" for a two-view model);
    steps_per_subgoal / max_steps: the task node's plan budgets (0: wall-clock timeouts)."""
    ckpt = Path(checkpoint)
    if not (ckpt / "model.safetensors").is_file():
        raise JepaWmError(f"{ckpt}: no model.safetensors (run `make model` first)")
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    video = out / f"grasp_seed{seed}.mp4"
    plan = parse_launch_file(
        GRASP_LAUNCH,
        {
            "checkpoint": str(ckpt.resolve()),
            "episodes": str(episodes),
            "seed": str(seed),
            "video": str(video),
            "subgoal_timeout": str(subgoal_timeout),
            "goal": goal,
            "views": views,
            "steps_per_subgoal": str(steps_per_subgoal),
            "max_steps": str(max_steps),
        },
    )
    # The package sources come first, so an edit is live without re-running `make install`.
    extra = (("PYTHONPATH", os.pathsep.join([str(PKG_SRC), os.environ.get("PYTHONPATH", "")])),)
    nodes = [dataclasses.replace(n, env=n.env + extra) for n in plan.nodes]
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    os.environ.setdefault("ROS_DOMAIN_ID", str(random.randint(1, 100)))
    report = DemoReport(video=str(video))
    log = open(out / "launch.log", "w")  # noqa: SIM115 - closed below, written from threads

    def write(line: str) -> None:
        log.write(line + "\n")
        if "TASK_RESULT " in line:
            report.episodes.append(json.loads(line.split("TASK_RESULT ", 1)[1]))
            print(f"episode {len(report.episodes)}/{episodes}: {report.episodes[-1]}", flush=True)
        elif not quiet or line.startswith("[launch]"):
            print(line, flush=True)

    t0 = time.monotonic()
    try:
        report.exit_code = LaunchRunner(nodes, write=write).run()
    finally:
        log.close()
    report.wall_s = time.monotonic() - t0
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="models/tiny-grasp")
    ap.add_argument("--episodes", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1_000_000, help="first seed (eval range)")
    ap.add_argument("--out", default="artifacts/demo")
    ap.add_argument("--subgoal-timeout", type=float, default=15.0)
    ap.add_argument("--verbose", action="store_true", help="print every node's output")
    ap.add_argument("--goal", choices=("image", "image+state"), default="image+state")
    ap.add_argument("--views", default="camera", help="camera views, e.g. camera,wrist")
    ap.add_argument("--steps-per-subgoal", type=int, default=0, help="0: by subgoal timeout")
    ap.add_argument("--max-steps", type=int, default=0, help="plans per episode (0: none)")
    args = ap.parse_args(argv)
    try:
        rep = run_demo(
            args.checkpoint,
            args.episodes,
            args.seed,
            args.out,
            args.subgoal_timeout,
            quiet=not args.verbose,
            goal=args.goal,
            views=args.views,
            steps_per_subgoal=args.steps_per_subgoal,
            max_steps=args.max_steps,
        )
    except JepaWmError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(rep.to_dict(), indent=2))
    print(
        f"success rate: {rep.success_rate:.0%} over {len(rep.episodes)} episodes; "
        f"video: {rep.video}; wall time {rep.wall_s:.0f} s"
    )
    return 0 if rep.episodes else 1


if __name__ == "__main__":
    sys.exit(main())
