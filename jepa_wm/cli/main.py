"""``jepa-wm <verb> ...``: the single entry point of the stack.

Each verb lives in its own module ``jepa_wm.cli.<module>`` that defines::

    def add_arguments(parser: argparse.ArgumentParser) -> None: ...
    def run(args: argparse.Namespace) -> int: ...

Modules are imported lazily, so ``jepa-wm inspect`` does not pay for torch or pybullet.
User errors (``JepaWmError``) print one line on stderr and exit 1, with no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from jepa_wm.errors import JepaWmError

# verb -> (module under jepa_wm.cli, one-line help)
VERBS: dict[str, tuple[str, str]] = {
    "collect": ("collect", "record episodes from a pybullet task into a trajectory store"),
    "inspect": ("inspect", "print episodes, keys, shapes, dtypes, fps and size of a store"),
    "train": ("train", "train a world model on one or more trajectory stores"),
    "fit-readout": ("fit_readout", "fit a world model's state read-out (image-only goals)"),
    "eval-model": ("eval_model", "offline quality metrics of a checkpoint on held-out episodes"),
    "eval-policy": ("eval_policy", "closed-loop evaluation of a scripted or random policy"),
    "eval": ("eval_planner", "closed-loop evaluation of a world model + planner"),
    "bench": (
        "bench",
        "benchmarks (data, planner, rollout, ros, camera, bag2zarr, faults), JSON out",
    ),
    "launch": ("launch", "run a ROS 2 YAML launch file without the ROS 2 launch package"),
    "bag2zarr": ("bag2zarr", "convert rosbag2 recordings into a trajectory store"),
    "import-lerobot": ("import_lerobot", "import a local LeRobot v3.0 dataset into a store"),
    "export-lerobot": ("export_lerobot", "export a store as a LeRobot v3.0 dataset (PNG images)"),
    "record": ("record", "record ROS 2 topics into a rosbag2 (mcap)"),
    "export": ("export", "export a checkpoint to ONNX (and TensorRT where available)"),
    "import-encoder": ("import_encoder", "load V-JEPA 2 layout ViT weights into a checkpoint"),
    "viz": ("viz", "episode video and energy landscape of a model + planner"),
}


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    """Parser with every verb listed; only the chosen verb's module is imported."""
    parser = argparse.ArgumentParser(
        prog="jepa-wm", description="A ROS 2 control stack with embedded JEPA world models."
    )
    sub = parser.add_subparsers(dest="verb", metavar="<verb>")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for verb, (module, help_text) in VERBS.items():
        p = sub.add_parser(verb, help=help_text, description=help_text)
        if verb == chosen:
            _module(module).add_arguments(p)
    return parser


def _module(name: str):
    return importlib.import_module(f"jepa_wm.cli.{name}")


def main(argv: list[str] | None = None) -> int:
    """Run one verb; return its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if args.verb is None:
        parser.print_help()
        return 2
    try:
        return int(_module(VERBS[args.verb][0]).run(args) or 0)
    except JepaWmError as exc:
        print(f"jepa-wm {args.verb}: error: {exc}", file=sys.stderr)
        # A corrupt chunk fails one of zarr's concurrent reads; the reads still pending are
        # dropped at exit and asyncio would log "Task was destroyed but it is pending!" under
        # the one-line error. The error above already says what went wrong.
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        return 1
    except KeyboardInterrupt:
        print(f"jepa-wm {args.verb}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `jepa-wm inspect X | head`: the reader left. Point stdout at devnull so the
        # interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
