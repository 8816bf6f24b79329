"""``jepa-wm import-lerobot ROOT --out STORE``: a local LeRobot v3.0 dataset -> trajectory store.

ROOT holds ``meta/info.json`` (``codebase_version`` "v3.0"), ``data/`` parquet files and, for
video features, ``videos/`` mp4 files. Other versions are refused with a clear error.

    jepa-wm import-lerobot datasets/pick --out data/pick.zarr
    jepa-wm import-lerobot datasets/pick --out data/pick.zarr --cameras wrist front \\
        --state observation.state --action action
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", help="LeRobot v3.0 dataset directory (holds meta/info.json)")
    parser.add_argument("--out", required=True, help="the trajectory store to create")
    parser.add_argument(
        "--cameras",
        nargs="+",
        help="camera names (front) or feature keys; the first becomes rgb (default: all)",
    )
    parser.add_argument("--state", default="observation.state", help="state feature key")
    parser.add_argument("--action", default="action", help="action feature key")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing store")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON only")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from jepa_wm.lerobot.importer import import_lerobot

    summary = import_lerobot(
        args.root,
        args.out,
        cameras=args.cameras,
        state_key=args.state,
        action_key=args.action,
        overwrite=args.overwrite,
        progress=not (args.json or args.no_progress),
    )
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        cams = ", ".join(f"{k}={v}" for k, v in summary["cameras"].items())
        print(
            f"{summary['out']}: {summary['episodes']} episodes, {summary['frames']} frames at "
            f"{summary['fps']:g} fps from LeRobot {summary['codebase_version']} ({cams}); "
            f"{len(summary['tasks'])} tasks; {summary['seconds']:.1f} s"
        )
    return 0
