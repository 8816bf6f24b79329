"""``jepa-wm launch FILE [name:=value ...]``: run a ROS 2 YAML launch file without ``ros2 launch``.

Examples::

    jepa-wm launch launch/grasp_pipeline.launch.yaml checkpoint:=models/tiny-grasp seed:=3
    jepa-wm launch launch/grasp_pipeline.launch.yaml --show-args
    jepa-wm launch launch/grasp_pipeline.launch.yaml --print     # resolved commands, start nothing
"""

from __future__ import annotations

import argparse
import shlex
import tempfile
from pathlib import Path

from jepa_wm.errors import LaunchError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a ROS 2 YAML launch file (*.launch.yaml)")
    # REMAINDER: options may follow the name:=value arguments (``FILE a:=1 --print``).
    parser.add_argument(
        "launch_args", nargs=argparse.REMAINDER, metavar="name:=value", help="launch arguments"
    )
    parser.add_argument(
        "--show-args", action="store_true", help="list the declared arguments and exit"
    )
    parser.add_argument(
        "--print",
        action="store_true",
        dest="dry_run",
        help="print each node's command line and exit without starting anything",
    )


def parse_launch_args(items: list[str]) -> dict[str, str]:
    """``["a:=1", "b:=x"]`` -> ``{"a": "1", "b": "x"}``; anything else is a LaunchError."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition(":=")
        if not sep or not name:
            raise LaunchError(f"launch argument {item!r} must look like name:=value")
        if not value:  # upstream ros2 launch refuses it too ("malformed launch argument")
            raise LaunchError(
                f"launch argument {item!r} has an empty value; for an empty text pass {name}:=\"''\""
            )
        out[name] = value
    return out


def run(args: argparse.Namespace) -> int:
    from jepa_wm.app.launch import LaunchRunner, node_command, parse_launch_file

    rest = list(args.launch_args)
    for flag, dest in (("--print", "dry_run"), ("--show-args", "show_args")):
        while flag in rest:
            rest.remove(flag)
            setattr(args, dest, True)
    cli = parse_launch_args(rest)
    plan = parse_launch_file(args.file, {} if args.show_args else cli)
    if args.show_args:
        for name, default in plan.declared.items():
            print(f"{name}: default {default!r}" if default is not None else f"{name}: (required)")
        return 0
    if args.dry_run:
        with tempfile.TemporaryDirectory(prefix="jepa_wm_launch_") as tmp:
            for spec in plan.nodes:
                print(f"[{spec.label}] {shlex.join(node_command(spec, Path(tmp)))}")
                for name, value in spec.params:
                    print(f"[{spec.label}]   {name}: {value!r}")
        return 0
    if not plan.nodes:
        raise LaunchError(f"{args.file}: no node to start")
    return LaunchRunner(plan.nodes).run()
