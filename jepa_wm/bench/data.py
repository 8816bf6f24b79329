"""``jepa-wm bench data``: random-clip loading from the Zarr store vs HDF5 vs a naive reader.

Usage::

    jepa-wm bench data --json --episodes 32 --episode-len 100 --image-size 64 --clip-len 8

A synthetic store (sim-like frames: smooth background, coloured blobs, mild noise) is written
to a temp dir, then the same random clips (T frames, frame skip k, actions summed over the skip)
are loaded by:

- ``zarr_clipdataset``: ``ClipDataset`` (what training uses; per-frame chunk files read directly);
- ``zarr_api``: the same store through zarr-python's own slicing (``array[a:b:k]``);
- ``hdf5_gzip1`` / ``hdf5_lzf``: the same data in one HDF5 file, rgb chunked one frame per
  chunk, gzip level 1 or lzf, the file opened once, state/action held in memory (as
  ClipDataset does);
- ``naive``: opens the zarr array afresh for every frame and for state/action of every clip
  (timed on 1/8 of the clips, once: it is ~100x slower);
- ``zarr_dataloader`` (with ``--workers N``): ClipDataset through a DataLoader, batch 32;
- ``zarr_clipdataset_s3`` (with ``--s3 URL``): ClipDataset on a copy of the store at an fsspec
  URL (``s3://bucket/prefix``, credentials from the AWS_* environment), streamed chunk by chunk.

All readers are checked to return identical clips before they are timed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--episodes", type=int, default=32, help="synthetic episodes")
    parser.add_argument("--episode-len", type=int, default=100, help="steps per episode")
    parser.add_argument("--image-size", type=int, default=64, help="square frame size (px)")
    parser.add_argument("--clip-len", type=int, default=8, help="frames per clip (T)")
    parser.add_argument("--frame-skip", type=int, default=2, help="frame skip inside a clip")
    parser.add_argument("--clips", type=int, default=400, help="random clips timed per reader")
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats (best is kept)")
    parser.add_argument(
        "--workers", type=int, default=0, help="also time a DataLoader with this many workers"
    )
    parser.add_argument("--dir", help="write the synthetic data here instead of a temp dir")
    parser.add_argument("--s3", metavar="URL", help="also time ClipDataset on a copy at this URL")


def synthetic_episode(rng: np.random.Generator, length: int, size: int) -> dict[str, np.ndarray]:
    """Sim-like episode: rgb uint8 [T,size,size,3], state f32 [T,7], action f32 [T,7], ts [T]."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    base = np.stack([0.4 + 0.3 * yy, 0.4 + 0.2 * xx, 0.5 + 0.0 * xx], -1) * 255
    action = rng.normal(0, 0.01, (length, 7)).astype(np.float32)
    state = np.cumsum(action, axis=0).astype(np.float32)
    rgb = np.empty((length, size, size, 3), np.uint8)
    colour = rng.integers(0, 256, 3)
    r = max(2, size // 10)
    for t in range(length):
        frame = base.copy()
        cy, cx = (0.5 + state[t, :2] * 5) % 1.0 * size
        frame[(yy * size - cy) ** 2 + (xx * size - cx) ** 2 < r * r] = colour
        frame += rng.normal(0, 2.0, frame.shape)
        rgb[t] = np.clip(frame, 0, 255).astype(np.uint8)
    ts = np.arange(length, dtype=np.float64) / 20.0
    return {"rgb": rgb, "state": state, "action": action, "timestamp": ts}


def _write(root: Path, args: argparse.Namespace) -> tuple[Path, Path, dict]:
    import h5py

    from jepa_wm.data.store import TrajectoryStore

    rng = np.random.default_rng(0)
    eps = [synthetic_episode(rng, args.episode_len, args.image_size) for _ in range(args.episodes)]
    zpath, hpath = root / "bench.zarr", root / "bench.h5"
    t0 = time.perf_counter()
    st = TrajectoryStore.create(zpath, fps=20.0, source={"bench": "synthetic"}, overwrite=True)
    for ep in eps:
        st.add_episode(ep)
    t1 = time.perf_counter()
    with h5py.File(hpath, "w") as f:
        for key in ("state", "action", "timestamp"):
            f.create_dataset(key, data=np.concatenate([ep[key] for ep in eps]))
        rgb = np.concatenate([ep["rgb"] for ep in eps])
        for name, comp in HDF5_RGB.items():
            f.create_dataset(f"rgb_{name}", data=rgb, chunks=(1, *rgb.shape[1:]), **comp)
        f.create_dataset("episode_ends", data=st.episode_ends)
    t2 = time.perf_counter()
    return zpath, hpath, {"zarr_write_s": t1 - t0, "hdf5_write_s": t2 - t1}


# Two HDF5 rgb layouts, both one frame per chunk: gzip level 1 (the common default, e.g.
# robomimic-style files) and lzf (h5py's fast codec).
HDF5_RGB = {
    "gzip1": {"compression": "gzip", "compression_opts": 1},
    "lzf": {"compression": "lzf"},
}


class _Hdf5Clips:
    """The HDF5 baseline: file opened once, rgb read frame by frame, state/action in memory."""

    def __init__(self, path: Path, clip_len: int, skip: int, rgb: str) -> None:
        import h5py

        self.f = h5py.File(path, "r")
        self.rgb = self.f[f"rgb_{rgb}"]
        self.state, self.action = self.f["state"][:], self.f["action"][:]
        self.clip_len, self.skip = clip_len, skip

    def __call__(self, first: int) -> dict[str, np.ndarray]:
        last = first + (self.clip_len - 1) * self.skip
        act = self.action[first:last].reshape(self.clip_len - 1, self.skip, -1).sum(1)
        # One read per frame: h5py's strided hyperslab (rgb[a:b:k]) measured ~100x slower.
        frames = range(first, last + 1, self.skip)
        return {
            "rgb": np.stack([self.rgb[t] for t in frames]),
            "state": self.state[first : last + 1 : self.skip],
            "action": act,
        }


def _naive(path: Path, clip_len: int, skip: int) -> Callable[[int], dict[str, np.ndarray]]:
    """The naive baseline: a fresh zarr open for every frame and for every low-dim read."""
    import zarr

    def load(first: int) -> dict[str, np.ndarray]:
        frames = [first + j * skip for j in range(clip_len)]
        rgb = np.stack([zarr.open_array(str(path / "data" / "rgb"), mode="r")[t] for t in frames])
        state = zarr.open_array(str(path / "data" / "state"), mode="r")[frames[0] : frames[-1] + 1]
        action = zarr.open_array(str(path / "data" / "action"), mode="r")[frames[0] : frames[-1]]
        act = action.reshape(clip_len - 1, skip, -1).sum(1)
        return {"rgb": rgb, "state": state[::skip], "action": act}

    return load


def _zarr_api(path: Path, clip_len: int, skip: int) -> Callable[[int], dict[str, np.ndarray]]:
    """zarr-python's own slicing on arrays opened once (no direct chunk-file reads)."""
    from jepa_wm.data.store import TrajectoryStore

    st = TrajectoryStore.open(path)
    # rgb is indexed below num_steps only; state/action through the committed view.
    rgb, state, action = st.array("rgb"), st.read_all("state"), st.read_all("action")

    def load(first: int) -> dict[str, np.ndarray]:
        last = first + (clip_len - 1) * skip
        act = action[first:last].reshape(clip_len - 1, skip, -1).sum(1)
        return {
            "rgb": rgb[first : last + 1 : skip],
            "state": state[first : last + 1 : skip],
            "action": act,
        }

    return load


def _time_reader(name: str, load: Callable, items: np.ndarray, repeats: int) -> dict:
    # The naive reader is ~100x slower: time it on fewer clips, once, to keep runs short.
    slow = name == "naive"
    sub = items[: max(10, len(items) // 8)] if slow else items
    return {**_time(load, sub, 1 if slow else repeats), "clips_timed": len(sub)}


def _time(load: Callable[[int], object], items: np.ndarray, repeats: int) -> dict:
    """Best of ``repeats`` passes over ``items`` (the same clips for every reader)."""
    for i in items[:5]:
        load(int(i))  # warm-up: opens, page cache
    best = float("inf")
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        for i in items:
            load(int(i))
        best = min(best, time.perf_counter() - t0)
    return {"clips_per_s": len(items) / best, "ms_per_clip": 1000 * best / len(items)}


def run(args: argparse.Namespace) -> dict:
    import torch

    from jepa_wm.data.clips import ClipDataset
    from jepa_wm.data.store import disk_size

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="jepa-wm-bench-data-") as tmp:
        root = Path(args.dir) if args.dir else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        zpath, hpath, write_times = _write(root, args)
        ds = ClipDataset([zpath], clip_len=args.clip_len, frame_skip=args.frame_skip)
        items = np.random.default_rng(1).integers(0, len(ds), args.clips)
        readers = _readers(ds, zpath, hpath, items, args)
        if args.s3:
            remote = _copy_store(zpath, f"{args.s3.rstrip('/')}/bench.zarr")
            rds = ClipDataset([remote], clip_len=args.clip_len, frame_skip=args.frame_skip)
            readers["zarr_clipdataset_s3"] = rds.__getitem__
        _check_same(readers, items[:10])
        results = {
            name: _time_reader(name, load, items, args.repeats) for name, load in readers.items()
        }
        if args.workers > 0:
            results["zarr_dataloader"] = _time_loader(ds, items, args.workers)
        sizes = {"zarr_bytes": disk_size(zpath), "hdf5_bytes_both_rgb_copies": hpath.stat().st_size}
    ours = results["zarr_clipdataset"]["clips_per_s"]
    return {
        "config": {
            k: getattr(args, k)
            for k in ("episodes", "episode_len", "image_size", "clip_len", "frame_skip", "clips")
        },
        "readers": results,
        "ratios": {
            f"zarr_clipdataset_vs_{n}": ours / r["clips_per_s"]
            for n, r in results.items()
            if n not in ("zarr_clipdataset", "zarr_dataloader")
        },
        "zarr_at_least_2x_naive": ours >= 2 * results["naive"]["clips_per_s"],
        "formats": {
            "zarr": "v3, rgb chunk = 1 frame, Blosc lz4 clevel 5",
            "hdf5_gzip1": "h5py, rgb chunk = 1 frame, gzip level 1",
            "hdf5_lzf": "h5py, rgb chunk = 1 frame, lzf",
        },
        "sizes": sizes,
        "write_s": write_times,
        "identical_clips_checked": True,
    }


def _copy_store(src: Path, url: str) -> str:
    """Copy the bench store to ``url`` (replacing a previous copy); returns the URL."""
    from jepa_wm.data.store import TrajectoryStore

    st = TrajectoryStore.open(src)
    dst = TrajectoryStore.create(url, fps=st.fps, source=st.attrs["source"], overwrite=True)
    for i in range(st.num_episodes):
        dst.add_episode(st.episode(i))
    return url


def _readers(ds, zpath: Path, hpath: Path, items: np.ndarray, args) -> dict[str, Callable]:
    """Every reader keyed by name, each taking a ClipDataset item index."""
    firsts = {int(i): _first_frame(ds, int(i)) for i in items}
    hdf5 = {
        f"hdf5_{name}": _by_first(_Hdf5Clips(hpath, args.clip_len, args.frame_skip, name), firsts)
        for name in HDF5_RGB
    }
    return {
        "zarr_clipdataset": ds.__getitem__,
        "zarr_api": _by_first(_zarr_api(zpath, args.clip_len, args.frame_skip), firsts),
        **hdf5,
        "naive": _by_first(_naive(zpath, args.clip_len, args.frame_skip), firsts),
    }


def _time_loader(ds, items: np.ndarray, workers: int) -> dict:
    """ClipDataset through a DataLoader (batch 32, ``workers`` processes), same clips."""
    from torch.utils.data import DataLoader, Subset

    loader = DataLoader(Subset(ds, items.tolist()), batch_size=32, num_workers=workers)
    t0 = time.perf_counter()
    n = sum(len(batch["rgb"]) for batch in loader)  # includes worker start-up
    dt = time.perf_counter() - t0
    return {"clips_per_s": n / dt, "ms_per_clip": 1000 * dt / n, "workers": workers}


def _first_frame(ds, i: int) -> int:
    si, ep, offset = ds.locate(i)
    ends = ds._handles(si).store.episode_ends
    return (int(ends[ep - 1]) if ep > 0 else 0) + offset


def _by_first(load: Callable[[int], dict], firsts: dict[int, int]) -> Callable[[int], dict]:
    return lambda i: load(firsts[i])


def _check_same(readers: dict[str, Callable[[int], dict]], items: np.ndarray) -> None:
    for i in items:
        ref = {k: np.asarray(v) for k, v in readers["zarr_clipdataset"](int(i)).items()}
        for name, load in readers.items():
            got = load(int(i))
            for key in ("rgb", "state", "action"):
                if not np.allclose(np.asarray(got[key]), ref[key], rtol=1e-5, atol=1e-6):
                    raise AssertionError(f"bench reader {name} disagrees on {key} of clip {i}")
