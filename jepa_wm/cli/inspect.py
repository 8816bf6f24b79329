"""``jepa-wm inspect PATH [--json] [--quick]``: summary of a trajectory store.

Prints episodes, steps, keys with shapes/dtypes/chunks, fps, episode lengths (min/mean/max),
the Zarr format and the size on disk. By default every chunk is decoded once, so a truncated
or corrupt chunk is reported (key and episode) instead of surfacing later in training;
``--quick`` skips that pass. Errors print as one line and exit 1.
"""

from __future__ import annotations

import argparse
import json
import warnings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="trajectory store (a Zarr v2 or v3 directory)")
    parser.add_argument("--json", action="store_true", help="print a JSON report")
    parser.add_argument("--quick", action="store_true", help="skip decoding every chunk")


def summarize(store, *, verify: bool = True) -> dict:
    """JSON-able summary of an open TrajectoryStore; decodes every episode when ``verify``."""
    import numpy as np

    from jepa_wm.data.store import disk_size

    if verify:
        for i in range(store.num_episodes):
            store.episode(i)  # raises StoreError naming the key and episode
    lengths = store.episode_lengths
    attrs = store.attrs
    keys = {}
    for key in store.keys:
        arr = store.array(key)
        keys[key] = {
            "shape": [store.num_steps, *arr.shape[1:]],
            "dtype": str(arr.dtype),
            "chunks": list(arr.chunks),
            "names": (attrs.get("features", {}).get(key) or {}).get("names"),
        }
    return {
        "path": str(store.path),
        "format": attrs.get("format"),
        "format_version": attrs.get("format_version"),
        "zarr_format": store.zarr_format,
        "episodes": store.num_episodes,
        "steps": store.num_steps,
        "fps": store.fps,
        "episode_length": {
            "min": int(lengths.min()) if len(lengths) else 0,
            "mean": float(np.mean(lengths)) if len(lengths) else 0.0,
            "max": int(lengths.max()) if len(lengths) else 0,
        },
        "keys": keys,
        "cameras": attrs.get("cameras", {}),
        "source": attrs.get("source", {}),
        "has_stats": sorted(attrs.get("stats", {})),
        "size_bytes": disk_size(store.path),
        "verified": verify,
    }


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return str(n)


def _text(s: dict) -> str:
    el = s["episode_length"]
    lines = [
        f"{s['path']}  ({s['format']} v{s['format_version']}, zarr v{s['zarr_format']})",
        f"episodes: {s['episodes']}   steps: {s['steps']}   fps: {s['fps']:g}",
        f"episode length: min {el['min']}  mean {el['mean']:.1f}  max {el['max']}",
        f"size on disk: {_human(s['size_bytes'])}",
        "keys:",
    ]
    for key, k in s["keys"].items():
        shape = "x".join(str(d) for d in k["shape"])
        lines.append(f"  {key:<12} {k['dtype']:<8} {shape:<20} chunks {tuple(k['chunks'])}")
    if s["source"]:
        lines.append(f"source: {json.dumps(s['source'])}")
    lines.append(f"stats: {', '.join(s['has_stats']) or 'none'}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from jepa_wm.data.store import TrajectoryStore

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = TrajectoryStore.open(args.path, mode="r")
    summary = summarize(store, verify=not args.quick)
    summary["warnings"] = [str(w.message) for w in caught]
    print(json.dumps(summary, indent=2) if args.json else _text(summary))
    if not args.json:
        for w in summary["warnings"]:
            print(f"warning: {w}")
    return 0
