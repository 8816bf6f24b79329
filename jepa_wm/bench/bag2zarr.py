"""``jepa-wm bench bag2zarr``: bag -> store conversion speed, mcap vs sqlite3, plus the sync kernel.

Writes a synthetic rosbag2 (224x224 rgb8 camera at 30 Hz, 7 joints at 100 Hz) in mcap and in
sqlite3 to a temp dir, converts each at 30 fps (every frame kept), and reports frames/s. In the
same run it times the time-sync kernels: the plain-Python reference against the vectorised numpy
(the converter's choice) and numba (steady state and first call in this process).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--frames", type=int, default=600, help="camera frames per bag")
    parser.add_argument("--size", type=int, default=224, help="camera image size (square)")
    parser.add_argument(
        "--resize", type=int, default=0, help="store frames at this size (0: as is)"
    )
    parser.add_argument(
        "--kernel-frames", type=int, default=20_000, help="frames for kernel timing"
    )


def _convert(storage: str, tmp: Path, args: argparse.Namespace) -> dict:
    from jepa_wm.bags.config import BagConvertConfig
    from jepa_wm.bags.convert import convert_bags
    from jepa_wm.bags.synth import SynthSpec, write_synthetic_bag
    from jepa_wm.config import from_dict

    joints = tuple(f"panda_joint{i}" for i in range(1, 8))
    spec = SynthSpec(
        frames=args.frames, cam_fps=30.0, size=args.size, joints=joints, commands=False
    )
    t = time.perf_counter()
    bag = write_synthetic_bag(tmp / f"bag_{storage}", spec, storage=storage)
    write_s = time.perf_counter() - t
    cfg = from_dict(
        BagConvertConfig,
        {
            "fps": 30.0,
            "state": {"joints": list(joints)},
            "image": {"resize": [args.resize, args.resize] if args.resize else None},
        },
    )
    t = time.perf_counter()
    report = convert_bags([bag], tmp / f"out_{storage}.zarr", cfg, progress=False)
    conv_s = time.perf_counter() - t
    size = sum(p.stat().st_size for p in bag.rglob("*") if p.is_file())
    return {
        "bag_mb": round(size / 2**20, 1),
        "bag_write_s": round(write_s, 3),
        "frames": report["frames"],
        "convert_s": round(conv_s, 3),
        "frames_per_s": round(report["frames"] / conv_s, 1),
        # the store's add_episode (zarr, one chunk file per frame) is the DATA layer's share
        "frames_per_s_excluding_store_writes": round(
            report["frames"] / (conv_s - report["timing_s"]["of_which_store_add_episode"]), 1
        ),
        "timing_s": report["timing_s"],
    }


def _time(fn, *a, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn(*a)
        best = min(best, time.perf_counter() - t)
    return best


def _kernels(n_frames: int) -> dict:
    from jepa_wm.bags import sync

    rng = np.random.default_rng(0)
    cam = np.cumsum(rng.uniform(0.025, 0.04, n_frames))  # jittery ~30 Hz camera
    st = np.cumsum(rng.uniform(0.008, 0.012, n_frames * 4))  # ~100 Hz joint states
    vals = rng.normal(size=(st.size, 7))
    q = cam[sync.select_frames_np(cam, 0.1, 0.05)[sync.select_frames_np(cam, 0.1, 0.05) >= 0]]
    cam_l, st_l, vals_l, q_l = cam.tolist(), st.tolist(), vals.tolist(), q.tolist()
    t = time.perf_counter()
    sync.select_frames_nb(cam[:10], 0.1, 0.05)
    sync.sample_nearest_nb(st[:10], vals[:10], q[:3], 0.006)
    nb_first = time.perf_counter() - t
    ref = _time(sync.select_frames_ref, cam_l, 0.1, 0.05, repeat=1) + _time(
        sync.sample_nearest_ref, st_l, vals_l, q_l, 0.006, repeat=1
    )
    fast = _time(sync.select_frames_np, cam, 0.1, 0.05) + _time(
        sync.sample_nearest_np, st, vals, q, 0.006
    )
    nb = _time(sync.select_frames_nb, cam, 0.1, 0.05) + _time(
        sync.sample_nearest_nb, st, vals, q, 0.006
    )
    same = np.array_equal(
        sync.sample_nearest_np(st, vals, q, 0.006)[0],
        np.asarray(sync.sample_nearest_ref(st_l, vals_l, q_l, 0.006)[0]),
    ) and np.array_equal(
        sync.select_frames_np(cam, 0.1, 0.05), np.asarray(sync.select_frames_ref(cam_l, 0.1, 0.05))
    )
    return {
        "camera_frames": n_frames,
        "state_samples": int(st.size),
        "reference_python_ms": round(ref * 1e3, 2),
        "numpy_ms": round(fast * 1e3, 3),
        "numba_ms": round(nb * 1e3, 3),
        "numba_first_call_ms": round(nb_first * 1e3, 1),
        "speedup_numpy_vs_reference": round(ref / fast, 1),
        "speedup_numba_vs_reference": round(ref / nb, 1),
        "converter_uses": sync.FAST,
        "numpy_equals_reference": bool(same),
    }


def run(args: argparse.Namespace) -> dict:
    import os

    import jepa_wm.data.store  # noqa: F401 - import zarr before timing, not inside the first run

    with tempfile.TemporaryDirectory(prefix="bench_bag2zarr_") as tmp:
        results = {s: _convert(s, Path(tmp), args) for s in ("mcap", "sqlite3")}
    return {
        "bench": "bag2zarr",
        "image": f"{args.size}x{args.size} rgb8",
        "stored_size": args.resize or args.size,
        "cpu_count": os.cpu_count(),
        "load_avg_1min": round(os.getloadavg()[0], 2),  # other work on the machine skews speed
        "target_frames_per_s": 500,
        "convert": results,
        "sync_kernel": _kernels(args.kernel_frames),
    }
