"""Convert rosbag2 recordings into a trajectory store (the library behind ``jepa-wm bag2zarr``).

Usage::

    cfg = load_bag_config("topics.yaml")
    report = convert_bags(["run1/", "run2.mcap"], "out.zarr", cfg)

Two streaming passes per bag. Pass 1 (``scan``) checks topics and reads the small streams and the
camera stamps of *every* bag before anything is written, so a bag lacking a topic, a missing joint
or an unsupported encoding leaves no store behind. ``plan`` syncs them into episodes. Pass 2 reads
the camera again, decodes only the kept frames and appends each episode to the store as soon as
its last frame is read (``TrajectoryStore.add_episode`` is all-or-nothing). If pass 2 fails, the
store this call created is removed.
"""

from __future__ import annotations

import struct
import sys
import time
from pathlib import Path

import numpy as np

from jepa_wm.bags.config import BagConvertConfig, config_sha256
from jepa_wm.bags.messages import fast_image_to_rgb, header_stamp_ns, image_to_rgb
from jepa_wm.bags.plan import EpisodePlan, plan_bag
from jepa_wm.bags.scan import BagScan, scan_bag
from jepa_wm.bags.source import BagSource
from jepa_wm.config import to_dict
from jepa_wm.data.location import as_location, remove_store
from jepa_wm.errors import BagError


def process_image(rgb: np.ndarray, cfg: BagConvertConfig) -> np.ndarray:
    """Crop, centre-square crop, then resize (cv2 INTER_AREA): (H, W, 3) -> (h, w, 3) uint8."""
    im = cfg.image
    if im.crop is not None:
        top, left, h, w = im.crop
        if top + h > rgb.shape[0] or left + w > rgb.shape[1]:
            raise BagError(f"image.crop {list(im.crop)} exceeds the {rgb.shape[:2]} image")
        rgb = rgb[top : top + h, left : left + w]
    if im.center_square:
        h, w = rgb.shape[:2]
        s = min(h, w)
        rgb = rgb[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
    if im.resize is not None and tuple(rgb.shape[:2]) != tuple(im.resize):
        import cv2

        rh, rw = im.resize
        shrink = rh <= rgb.shape[0] and rw <= rgb.shape[1]
        interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        rgb = cv2.resize(np.ascontiguousarray(rgb), (rw, rh), interpolation=interp)
    return np.ascontiguousarray(rgb)


class _EpisodeWriter:
    """Collects frames of planned episodes as they stream by; writes each, in order, once full."""

    def __init__(self, store, episodes: list[EpisodePlan], pbar) -> None:
        self.store, self.episodes, self.pbar = store, episodes, pbar
        self.where = {
            int(o): (e, i) for e, ep in enumerate(episodes) for i, o in enumerate(ep.ordinals)
        }
        self.frames: dict[int, np.ndarray] = {}
        self.left = [len(ep.ordinals) for ep in episodes]
        self.next = 0
        self.written = 0
        self.write_s = 0.0
        self.partial: list[int] = []  # store indices of episodes a crash cut off

    def wants(self, ordinal: int) -> bool:
        return ordinal in self.where

    def put(self, ordinal: int, stamp_ns: int, rgb: np.ndarray, path: Path) -> None:
        e, i = self.where.pop(ordinal)
        ep = self.episodes[e]
        if stamp_ns != int(ep.image_stamp_ns[i]):
            raise BagError(f"{path}: camera stream differs between the two reading passes")
        buf = self.frames.get(e)
        if buf is None:
            buf = self.frames[e] = np.empty((len(ep.ordinals), *rgb.shape), np.uint8)
        if rgb.shape != buf.shape[1:]:
            raise BagError(
                f"{path}: camera image size changed from {buf.shape[1:3]} to {rgb.shape[:2]}; "
                "set image.resize in the config"
            )
        buf[i] = rgb
        self.left[e] -= 1
        self.pbar.update(1)
        while self.next < len(self.episodes) and self.left[self.next] == 0:
            self._write(self.next)
            self.next += 1

    def _write(self, e: int) -> None:
        ep = self.episodes[e]
        t = time.perf_counter()
        index = self.store.add_episode(
            {
                "rgb": self.frames.pop(e),
                "state": ep.state,
                "action": ep.action,
                "timestamp": ep.timestamp.astype(np.float64),
            }
        )
        if ep.partial:
            self.partial.append(int(index))
        self.write_s += time.perf_counter() - t
        self.written += 1


def _decode_image(bag: BagSource, raw: bytes, msgtype: str) -> np.ndarray:
    try:
        return fast_image_to_rgb(raw, msgtype)
    except (ValueError, struct.error, IndexError):  # not the layout we expect: decode fully
        return image_to_rgb(bag.decode(raw, msgtype), msgtype)  # a clear error if it is corrupt


def write_bag_episodes(
    scan: BagScan, episodes: list[EpisodePlan], store, cfg: BagConvertConfig, pbar
) -> tuple[float, list[int]]:
    """Pass 2 over one bag: decode kept frames, append episodes. Returns seconds spent in
    ``add_episode`` (the store's share of the time) and the store indices of partial episodes."""
    writer = _EpisodeWriter(store, episodes, pbar)
    stamp_from_log = cfg.stamp_source == "log"
    with BagSource(scan.path) as bag:
        for ordinal, (_t, msgtype, log_ns, raw) in enumerate(bag.messages({cfg.image.topic})):
            if not writer.wants(ordinal):
                continue
            stamp = log_ns if stamp_from_log else header_stamp_ns(raw)
            rgb = process_image(_decode_image(bag, raw, msgtype), cfg)
            writer.put(ordinal, stamp, rgb, scan.path)
    if writer.written != len(episodes):
        raise BagError(f"{scan.path}: the bag ended early on the second pass")
    return writer.write_s, writer.partial


def _source_attrs(scans: list[BagScan], cfg: BagConvertConfig) -> dict:
    return {
        "type": "rosbag2",
        "bags": [str(s.path.resolve()) for s in scans],
        "topics": {
            t: s.topics[t].msgtype
            for s in scans[:1]
            for t in (
                cfg.image.topic,
                cfg.state.topic if cfg.state.joints else None,
                cfg.state.ee_pose_topic,
                cfg.state.odom_topic,
                cfg.action.topic if cfg.action.source == "command" else None,
                cfg.episodes.marker_topic if cfg.episodes.split == "marker" else None,
            )
            if t
        },
        "config_sha256": config_sha256(cfg),
        "config": to_dict(cfg),
    }


def convert_bags(
    bags: list[str | Path],
    out: str | Path,
    cfg: BagConvertConfig,
    *,
    overwrite: bool = False,
    progress: bool | None = None,
) -> dict:
    """Convert ``bags`` (directories, .mcap or .db3 files) into a new store at ``out``.

    Returns the report: per-bag frames kept/dropped (by reason), episodes, warnings.
    Raises BagError (nothing written) for missing topics/joints or unsupported images.
    """
    from tqdm import tqdm

    from jepa_wm.data.store import TrajectoryStore

    if not bags:
        raise BagError("no bag given")
    t0 = time.perf_counter()
    scans = [scan_bag(b, cfg) for b in bags]
    plans = [plan_bag(s, cfg) for s in scans]
    t1 = time.perf_counter()
    reports = [r for _, r in plans]
    total = sum(len(ep.ordinals) for eps, _ in plans for ep in eps)
    if total == 0:
        raise BagError(f"no frame survived time sync; nothing written. Report: {reports}")
    names = scans[0].state_names, scans[0].action_names
    out = as_location(out)
    store = TrajectoryStore.create(
        out,
        fps=cfg.fps,
        source=_source_attrs(scans, cfg),
        feature_names={"state": names[0], "action": names[1]},
        cameras={"rgb": {"topic": cfg.image.topic, "type": scans[0].image_type}},
        overwrite=overwrite,
    )
    show = sys.stderr.isatty() if progress is None else progress
    store_s = 0.0
    partial: list[int] = []
    try:
        with tqdm(total=total, unit="frame", disable=not show, desc="bag2zarr") as pbar:
            for scan, (episodes, _) in zip(scans, plans, strict=True):
                seconds, cut = write_bag_episodes(scan, episodes, store, cfg, pbar)
                store_s += seconds
                partial += cut
        store.compute_stats()
    except BaseException:
        remove_store(out)
        raise
    report = {
        "store": str(out),
        "episodes": store.num_episodes,
        "frames": store.num_steps,
        "partial_episodes": partial,  # store indices of episodes a crash cut off (kept, marked)
        "bags": reports,
        "timing_s": {
            "scan_and_sync": round(t1 - t0, 3),
            "decode_and_write": round(time.perf_counter() - t1, 3),
            "of_which_store_add_episode": round(store_s, 3),
        },
    }
    store.update_attrs({"bag2zarr_report": report, "partial_episodes": partial})
    return report
