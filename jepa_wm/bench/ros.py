"""``jepa-wm bench ros``: camera-to-command latency of the real nodes over loopback DDS.

Three runs, each with real processes on a private ROS domain (discovery on localhost only):

1. floor: raw rclpy image pub/sub (bench_probe source -> bench_probe measure);
2. pipeline: bench_probe source (camera + joint states + goal) -> planner_node (world model +
   CEM, planning on frame arrival under the planner config's deadline, ``--deadline-ms``) ->
   arm_adapter (IK, limits) -> bench_probe measure;
3. the same pipeline while ``--load-procs`` busy-looping processes compete for the CPU.

Reports p50/p95 latency from a frame's header stamp to (a) its arrival, (b) the planner action
computed from it, (c) the adapter's joint trajectory; ``overhead_ms``: (c) minus that frame's
planner step time (encode + plan, from the planner's diagnostics), i.e. what the ROS loop adds,
and its stages (the frame's arrival in planner_node, the wait for the planning thread, the
action's publish, the action's arrival -> the trajectory's at the probe); the achieved control
rate; and frames lost (raw) or never planned on (pipeline: by design when the camera outpaces
the planner; the planner's own drop counters say why).
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
    parser.add_argument("--checkpoint", default="", help="model run dir (default: random tiny)")
    parser.add_argument(
        "--policy", default="franka-grasp",
        help="task whose policy file (jepa_wm/configs/policy/<task>.yaml) planner_node loads",
    )  # fmt: skip
    parser.add_argument("--planner-config", default="", help="override YAML over the policy file")
    parser.add_argument(
        "--deadline-ms", type=float, default=100.0,
        help="planner deadline from frame arrival (planner.options.deadline_ms); 0: none",
    )  # fmt: skip
    parser.add_argument(
        "--load-procs", type=int, default=2, help="busy-looping processes in the contended case"
    )


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


def _planner_config(args: argparse.Namespace, out: Path) -> str:
    """An override file for planner_node: ``--planner-config``'s keys, with ``--deadline-ms``
    added to the planner options the policy file and it resolve to."""
    import yaml

    from jepa_wm.app.policy_files import load_policy_config
    from jepa_wm.config import read_yaml

    data = read_yaml(args.planner_config) if args.planner_config else {}
    cfg = load_policy_config(args.planner_config or None, None, args.policy or None)
    options = dict(cfg.planner.options)
    options["deadline_ms"] = float(args.deadline_ms) if args.deadline_ms > 0 else None
    data["planner"] = {"name": cfg.planner.name, "options": options}
    out.write_text(yaml.safe_dump(data))
    return str(out)


def _load(n: int) -> list[subprocess.Popen]:
    """``n`` processes that each keep one core busy (the contended case)."""
    spin = "import time\nend = time.monotonic() + 600\nwhile time.monotonic() < end: pass\n"
    return [
        subprocess.Popen([sys.executable, "-c", spin], start_new_session=True) for _ in range(n)
    ]


def _stage(frames: list[dict], key: str) -> list[float]:
    """Seconds of the planner stage ``key`` (a diagnostics ms value) over the frames with it."""
    return [f[key] / 1e3 for f in frames if np.isfinite(f.get(key, np.nan))]


def _pipeline(src: dict, pipe: dict, duration: float, before: dict) -> dict:
    lat = pipe["latency_s"]
    frames = list(pipe["by_frame"].values())
    overhead = [
        f["trajectory_s"] - f["step_ms"] / 1e3
        for f in frames
        if "trajectory_s" in f and "step_ms" in f
    ]
    # the probe sees the action and the trajectory of the same frame: adapter, two DDS hops
    adapter = [
        f["trajectory_s"] - f["action_s"]
        for f in frames
        if {"trajectory_s", "action_s"} <= f.keys()
    ]
    dropped = {k: v - before.get(k, 0) for k, v in pipe["planner_dropped"].items()}
    return {
        "camera_to_image_arrival": _stats(lat["image"]),
        "camera_to_planner_action": _stats(lat["action"]),
        "camera_to_joint_trajectory": _stats(lat["trajectory"]),
        "overhead_ms": _stats(overhead),
        # where a frame's time goes: camera stamp -> planner_node's callback, -> its planning
        # thread, the policy call (encode + plan), the action's publish, action -> trajectory
        "planner_receive": _stats(_stage(frames, "receive_ms")),
        "planner_wait": _stats(_stage(frames, "wait_ms")),
        "planner_step": _stats(_stage(frames, "step_ms")),
        "planner_publish": _stats(_stage(frames, "publish_ms")),
        "action_to_trajectory": _stats(adapter),
        "actions_without_trajectory": pipe["actions_without_trajectory"],
        "achieved_control_rate_hz": round(len(lat["action"]) / duration, 3),
        "frames_published": src["published"],
        "frames_planned_on": pipe["frames_planned_on"],
        "frames_not_planned_on": src["published"] - pipe["frames_planned_on"],
        "planner_dropped": dropped,
    }


def run(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_ros_") as tmp:
        ckpt = args.checkpoint or _random_checkpoint(Path(tmp) / "model")
        conf = _planner_config(args, Path(tmp) / "planner.yaml")
        env = _env()
        raw_src, raw = _pair(env, args, settle=6.0, subscribers=1)  # same settle as the pipeline
        params = [f"checkpoint:={ckpt}", f"planner_config:={conf}"]
        params += [f"policy:={args.policy}"] if args.policy else []
        ros_args = ["--ros-args"] + [x for p in params for x in ("-p", p)]
        nodes = [_node("planner_node", ros_args, env), _node("arm_adapter_node", [], env)]
        try:
            pipe_src, pipe = _pair(env, args, settle=6.0, subscribers=2)  # measure + planner
            load = _load(args.load_procs)
            try:
                busy_src, busy = _pair(env, args, settle=1.0, subscribers=2)
            finally:
                _stop(load)
        finally:
            _stop(nodes)
    report = {
        "bench": "ros",
        "camera_rate_hz": args.camera_rate,
        "camera_frame": getattr(args, "frame", "64x64"),
        "deadline_ms": args.deadline_ms if args.deadline_ms > 0 else None,
        "duration_s": args.duration,
        "checkpoint": args.checkpoint or "random tiny model",
        "cpu_count": os.cpu_count(),
        "baseline_raw_rclpy_image": {
            "latency": _stats(raw["latency_s"]["image"]),
            "frames_published": raw_src["published"],
            "frames_received": len(raw["latency_s"]["image"]),
            "dropped_frames": raw_src["published"] - len(raw["latency_s"]["image"]),
        },
        "pipeline": _pipeline(pipe_src, pipe, args.duration, {}),
        "contended": {
            "load_procs": args.load_procs,
            **_pipeline(busy_src, busy, args.duration, pipe["planner_dropped"]),
        },
    }
    if report["deadline_ms"] is not None:
        p95 = report["contended"]["camera_to_joint_trajectory"].get("p95_ms")
        report["contended"]["p95_within_deadline_plus_5ms"] = (
            p95 is not None and p95 <= report["deadline_ms"] + 5.0
        )
    return report
