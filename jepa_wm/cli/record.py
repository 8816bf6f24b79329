"""``jepa-wm record --out BAG [--topics T ...]``: record ROS 2 topics into a rosbag2 (mcap).

Starts ``recorder_node`` (package jepa_wm_ros) as its own process and stops it cleanly after
``--duration`` seconds or on Ctrl-C. Episodes are marked through the node's services::

    jepa-wm record --out /tmp/run1 --topics /camera/image_raw /joint_states --duration 60
    ros2 service call /recorder/start_episode std_srvs/srv/Trigger   # (or any Trigger client)

The bag is a normal rosbag2 directory (``ros2 bag info`` reads it); convert it with
``jepa-wm bag2zarr /tmp/run1 --out run1.zarr --config topics.yaml``.
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import subprocess
import sys
import time
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="bag directory to create")
    parser.add_argument("--topics", nargs="+", help="topics to record (default: the robot topics)")
    parser.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap")
    parser.add_argument("--flush-period", type=float, default=0.5, help="s between fsyncs")
    parser.add_argument("--start-episode", action="store_true", help="mark an episode start now")
    parser.add_argument("--duration", type=float, default=0.0, help="stop after N s (0: Ctrl-C)")


def recorder_command() -> list[str]:
    """How to start the node: the installed package, else the file in this checkout."""
    if importlib.util.find_spec("jepa_wm_ros") and importlib.util.find_spec(
        "jepa_wm_ros.recorder_node"
    ):
        return [sys.executable, "-m", "jepa_wm_ros.recorder_node"]
    # Uninstalled: import the package from this checkout (the node imports jepa_wm_ros.common).
    pkg_root = Path(__file__).resolve().parents[2] / "ros_ws" / "src" / "jepa_wm_ros"
    code = (
        f"import sys; sys.path.insert(0, {str(pkg_root)!r}); "
        "from jepa_wm_ros.recorder_node import main; sys.exit(main())"
    )
    return [sys.executable, "-c", code]


def node_args(args: argparse.Namespace) -> list[str]:
    """``--ros-args -p name:=value`` for the recorder's parameters."""
    params = {
        "output": str(Path(args.out).resolve()),
        "storage": args.storage,
        "flush_period": repr(float(args.flush_period)),
        "start_episode": "true" if args.start_episode else "false",
    }
    if args.topics:
        params["topics"] = "[" + ",".join(f"'{t}'" for t in args.topics) + "]"
    out = ["--ros-args"]
    for k, v in params.items():
        out += ["-p", f"{k}:={v}"]
    return out


def run(args: argparse.Namespace) -> int:
    from jepa_wm.errors import BagError

    if Path(args.out).exists():
        raise BagError(f"{args.out}: already exists; choose a new bag directory")
    proc = subprocess.Popen([*recorder_command(), *node_args(args)])
    try:
        t_end = time.monotonic() + args.duration if args.duration > 0 else None
        while proc.poll() is None and (t_end is None or time.monotonic() < t_end):
            time.sleep(0.1)
    except KeyboardInterrupt:
        pass  # the terminal's SIGINT reached the node too; wait for it to close the bag
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.returncode == 0:
        print(f"bag written: {args.out}", file=sys.stderr)
    return int(proc.returncode or 0)
