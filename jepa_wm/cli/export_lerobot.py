"""``jepa-wm export-lerobot STORE --out ROOT``: a trajectory store -> a LeRobot v3.0 dataset.

Camera frames are written losslessly as PNG inside the data parquet (LeRobot "image"
features); see ``jepa_wm/lerobot/exporter.py`` for what is and is not written.

    jepa-wm export-lerobot data/reach.zarr --out datasets/reach --robot-type panda
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", help="the trajectory store to export")
    parser.add_argument("--out", required=True, help="the LeRobot dataset folder to create")
    parser.add_argument("--robot-type", help="info.json robot_type (default: the store's)")
    parser.add_argument("--task", help="task string of every episode (default: the store's)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing dataset")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON only")


def run(args: argparse.Namespace) -> int:
    from jepa_wm.lerobot.exporter import export_lerobot

    summary = export_lerobot(
        args.store, args.out, robot_type=args.robot_type, task=args.task, overwrite=args.overwrite
    )
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"{summary['root']}: LeRobot {summary['codebase_version']}, {summary['episodes']} "
            f"episodes, {summary['frames']} frames, cameras "
            f"{', '.join(summary['cameras'].values())}; {len(summary['tasks'])} tasks"
        )
    return 0
