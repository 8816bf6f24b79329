"""``jepa-wm bench ros``: camera-to-command latency of the real nodes over loopback DDS.

Two runs, each with real processes on a private ROS domain (discovery on localhost only):

1. floor: raw rclpy image pub/sub (bench_probe source -> bench_probe measure);
2. pipeline: bench_probe source (camera + joint states + goal) -> planner_node (world model +
   CEM) -> arm_adapter (IK, limits) -> bench_probe measure.

Reports p50/p95 latency from a frame's header stamp to (a) its arrival, (b) the planner action
computed from it, (c) the adapter's joint trajectory; the achieved control rate; and frames lost
(raw) or never planned on (pipeline: by design when the camera outpaces the planner).
Without ``--checkpoint`` a random tiny model is used (latency does not depend on the weights).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PKG_SRC = ROOT / "ros_ws" / "src" / "jepa_wm_ros"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=15.0, help="seconds measured per run")
    parser.add_argument("--camera-rate", type=float, default=20.0, help="camera frames per second")
    parser.add_argument("--frame", default="64x64", help="camera frame WIDTHxHEIGHT (rgb8)")
    parser.add_argument("--planner-rate", type=float, default=5.0, help="planner timer rate (Hz)")
    parser.add_argument("--checkpoint", default="", help="model run dir (default: random tiny)")
    parser.add_argument("--planner-config", default=str(ROOT / "launch/params/planner_grasp.yaml"))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"  # the nodes apply the loopback profile
    env["ROS_DOMAIN_ID"] = str(random.randint(101, 200))  # private: never hears other runs
    env["PYTHONUNBUFFERED"] = "1"
    env["OMP_NUM_THREADS"] = env.get("OMP_NUM_THREADS", "1")
    env["PYTHONPATH"] = os.pathsep.join([str(PKG_SRC), env.get("PYTHONPATH", "")])
    return env


def _node(module: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", f"jepa_wm_ros.{module}", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _result(proc: subprocess.Popen, timeout: float) -> dict:
    out, _ = proc.communicate(timeout=timeout)
    for line in out.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    raise RuntimeError(f"bench process gave no result:\n{out[-2000:]}")


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGINT)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def _stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ms = np.asarray(values) * 1e3
    return {
        "n": int(ms.size),
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
        "max_ms": round(float(ms.max()), 3),
    }


def _pair(
    env: dict[str, str], args: argparse.Namespace, settle: float, subscribers: int
) -> tuple[dict, dict]:
    rate = ["--rate", str(args.camera_rate), "--subscribers", str(subscribers)]
    rate += ["--frame", getattr(args, "frame", "64x64")]
    measure = _node(
        "bench_probe", ["--role", "measure", "--duration", str(args.duration + settle + 1)], env
    )
    time.sleep(settle)  # discovery, and the planner's first frames
    source = _node(
        "bench_probe", ["--role", "source", "--duration", str(args.duration), *rate], env
    )
    return _result(source, args.duration + 60), _result(measure, args.duration + settle + 60)


def _random_checkpoint(out: Path) -> str:
    import torch

    from jepa_wm.models.checkpoint import save_checkpoint
    from jepa_wm.models.config import model_config
    from jepa_wm.models.world_model import JepaWorldModel

    torch.manual_seed(0)
    return str(save_checkpoint(JepaWorldModel(model_config("tiny")), out))


def run(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_ros_") as tmp:
        ckpt = args.checkpoint or _random_checkpoint(Path(tmp) / "model")
        env = _env()
        raw_src, raw = _pair(env, args, settle=6.0, subscribers=1)  # same settle as the pipeline
        nodes = [
            _node(
                "planner_node",
                [
                    "--ros-args",
                    "-p",
                    f"checkpoint:={ckpt}",
                    "-p",
                    f"planner_config:={args.planner_config}",
                    "-p",
                    f"rate_hz:={args.planner_rate}",
                ],
                env,
            ),
            _node("arm_adapter_node", [], env),
        ]
        try:
            pipe_src, pipe = _pair(env, args, settle=6.0, subscribers=2)  # measure + planner
        finally:
            _stop(nodes)
    lat = pipe["latency_s"]
    actions = len(lat["action"])
    return {
        "bench": "ros",
        "camera_rate_hz": args.camera_rate,
        "camera_frame": getattr(args, "frame", "64x64"),
        "planner_rate_hz": args.planner_rate,
        "duration_s": args.duration,
        "checkpoint": args.checkpoint or "random tiny model",
        "baseline_raw_rclpy_image": {
            "latency": _stats(raw["latency_s"]["image"]),
            "frames_published": raw_src["published"],
            "frames_received": len(raw["latency_s"]["image"]),
            "dropped_frames": raw_src["published"] - len(raw["latency_s"]["image"]),
        },
        "pipeline": {
            "camera_to_image_arrival": _stats(lat["image"]),
            "camera_to_planner_action": _stats(lat["action"]),
            "camera_to_joint_trajectory": _stats(lat["trajectory"]),
            "achieved_control_rate_hz": round(actions / args.duration, 3),
            "frames_published": pipe_src["published"],
            "frames_planned_on": pipe["frames_planned_on"],
            "frames_not_planned_on": pipe_src["published"] - pipe["frames_planned_on"],
        },
    }
