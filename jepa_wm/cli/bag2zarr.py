"""``jepa-wm bag2zarr BAG [BAG ...] --out STORE --config topics.yaml``: rosbag2 -> trajectory store.

BAG is a rosbag2 directory (mcap or sqlite3, split files included), a ``.mcap`` or a ``.db3``.
An unclosed/truncated mcap is converted as far as it is readable, with a warning.

    jepa-wm bag2zarr run1/ run2/ --out data/real.zarr --config topics.yaml
    jepa-wm bag2zarr run1/ --list              # topics, types and counts; writes nothing
    jepa-wm bag2zarr run1/ --out x.zarr --config t.yaml --use-log-time   # header stamps unset

The topic mapping is documented in ``jepa_wm/bags/config.py``; the time-sync rules (resampling,
tolerances, out-of-order stamps, clock jumps) in ``jepa_wm/bags/plan.py``. Nothing is written if
a bag lacks a needed topic or joint; the report lists frames kept and dropped, by reason.
An episode a crash cut off (a start marker no stop follows; without markers, the last episode of
a bag its recorder never closed) is kept and marked partial (store attrs ``partial_episodes``),
or dropped with ``episodes: {partial: drop}``; the report counts it either way.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bags", nargs="+", help="rosbag2 directories, .mcap or .db3 files")
    parser.add_argument("--out", help="the store to create")
    parser.add_argument("--config", help="topic mapping YAML (see jepa_wm/bags/config.py)")
    parser.add_argument("--fps", type=float, help="override the config's target fps")
    parser.add_argument(
        "--use-log-time",
        action="store_true",
        help="sync on bag log (receive) time instead of header stamps",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing store")
    parser.add_argument("--list", action="store_true", help="list topics of each bag and exit")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _list(bags: list[str]) -> int:
    from jepa_wm.bags.source import BagSource

    for path in bags:
        with BagSource(path) as bag:
            print(f"{path}:")
            for topic, info in sorted(bag.topics.items()):
                print(f"  {topic}  {info.msgtype}  {info.count}")
            for w in bag.warnings:
                print(f"  warning: {w}")
    return 0


def _summary(report: dict) -> str:
    lines = [f"{report['store']}: {report['episodes']} episodes, {report['frames']} frames"]
    for b in report["bags"]:
        dropped = ", ".join(f"{k} {v}" for k, v in b["dropped"].items() if v) or "none"
        lines.append(
            f"  {b['bag']}: {b['images']} images -> {b['frames_kept']} frames kept in "
            f"{b['episodes']} episodes; clock jumps {b['clock_jumps']}, out-of-order stamps "
            f"{b['out_of_order_stamps']}; not kept: {dropped}"
        )
        if b["partial_episodes"] or b["partial_dropped"]:
            lines.append(
                f"  {b['bag']}: episode cut off by a crash: {b['partial_episodes']} kept and "
                f"marked partial, {b['partial_dropped']} dropped (episodes.partial)"
            )
        lines += [f"  warning: {w}" for w in b["warnings"]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from jepa_wm.errors import ConfigError

    if args.list:
        return _list(args.bags)
    if not args.out or not args.config:
        raise ConfigError("bag2zarr needs --out STORE and --config topics.yaml (or --list)")
    from jepa_wm.bags.config import load_bag_config
    from jepa_wm.bags.convert import convert_bags

    overrides = {"fps": args.fps, "stamp_source": "log" if args.use_log_time else None}
    cfg = load_bag_config(args.config, overrides)
    report = convert_bags(
        args.bags,
        args.out,
        cfg,
        overwrite=args.overwrite,
        progress=False if args.no_progress else None,
    )
    print(json.dumps(report, indent=2) if args.json else _summary(report))
    if args.json:
        for b in report["bags"]:
            for w in b["warnings"]:
                print(f"jepa-wm bag2zarr: warning: {w}", file=sys.stderr)
    return 0
