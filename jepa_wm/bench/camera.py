"""``jepa-wm bench camera``: do real camera frames reach a planner-QoS subscriber in another process?

For each frame size (default 640x480 and 1280x720 rgb8) a ``bench_probe`` source publishes at
``--camera-rate`` Hz and a ``bench_probe`` measure node subscribes with the planner's camera QoS
(best effort, keep last 1), each its own process on a private domain. Two transports:

- ``baseline_localhost``: ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST as rmw_fastrtps sets it up
  (its 512 KiB shared-memory segment; larger frames go through fragmented UDP);
- ``loopback_profile``: the project's Fast DDS profile (jepa_wm/app/fastdds_loopback.xml:
  16 MiB shared memory, UDP on 127.0.0.1 only), what every node uses.

Reports frames published and received, the fraction received and the latency from the frame's
stamp to its arrival. Keep-last-1 means a subscriber slower than the camera skips frames by
design; a transport that cannot carry the frame delivers none.
"""

from __future__ import annotations

import argparse
import random

from jepa_wm.app.dds import loopback_dds_env
from jepa_wm.bench.ros import _env, _node, _result, _stats, _stop


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=8.0, help="seconds published per run")
    parser.add_argument("--camera-rate", type=float, default=30.0, help="frames per second")
    parser.add_argument(
        "--frames", default="640x480,1280x720", help="comma-separated WIDTHxHEIGHT sizes"
    )


def _transport_env(kind: str) -> dict[str, str]:
    env = _env()  # LOCALHOST, a private domain, the node sources on the path
    env["ROS_DOMAIN_ID"] = str(random.randint(101, 200))
    if kind == "loopback_profile":
        return loopback_dds_env(env)
    env["JEPA_WM_DDS_PROFILE"] = "off"  # bench_probe: keep rmw's LOCALHOST set-up
    return env


def _one(kind: str, frame: str, args: argparse.Namespace) -> dict:
    env = _transport_env(kind)
    settle = 3.0
    measure = _node(
        "bench_probe", ["--role", "measure", "--duration", str(args.duration + settle + 2)], env
    )
    try:
        src_args = ["--role", "source", "--duration", str(args.duration), "--frame", frame]
        source = _node("bench_probe", [*src_args, "--rate", str(args.camera_rate)], env)
        sent = _result(source, args.duration + 60)["published"]
        got = _result(measure, args.duration + settle + 60)["latency_s"]["image"]
    finally:
        _stop([measure])
    return {
        "frames_published": sent,
        "frames_received": len(got),
        "received_fraction": round(len(got) / sent, 3) if sent else 0.0,
        "latency": _stats(got),
    }


def run(args: argparse.Namespace) -> dict:
    frames = [f.strip() for f in args.frames.split(",") if f.strip()]
    results = {
        frame: {
            kind: _one(kind, frame, args) for kind in ("baseline_localhost", "loopback_profile")
        }
        for frame in frames
    }
    return {
        "bench": "camera",
        "camera_rate_hz": args.camera_rate,
        "duration_s": args.duration,
        "encoding": "rgb8",
        "qos": "best effort, keep last 1 (the planner's camera subscription)",
        "results": results,
    }
