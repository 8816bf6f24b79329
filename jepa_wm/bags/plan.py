"""From pass-1 streams to a list of episodes: which frames, at which times, with which state/action.

Time handling (documented in ``docs`` of ``jepa-wm bag2zarr --help`` too):

- **Clock jumps.** For each stream in read (log-time) order, a step whose header-stamp delta
  differs from its log-time delta by more than ``clock_jump`` seconds is a jump (sim reset, NTP
  step, a replayed bag). The recording is cut at the log times of the camera's and the state's
  jumps into segments; each segment is synced on its own and no episode spans two segments.
- **Out-of-order stamps.** Within a segment every stream is sorted by stamp (stable, so equal
  stamps keep their read order) and repeated stamps are dropped (counted ``duplicate_stamp``).
- **Resampling.** Camera frames are put on a grid ``t0 + k / fps`` (t0 = first frame of the
  segment); each slot takes the nearest frame within ``frame_tolerance`` (half a period by
  default), a frame is used at most once, and empty slots are counted ``missing_slot``.
- **State.** Nearest sample or linear interpolation within ``state.tolerance``; frames without a
  state that close are dropped (``no_state`` / ``no_ee_pose``).
- **Action.** ``command``: the first command in ``[t, t + 1/fps)`` (the one sent after observing
  the frame); without one, the last command before ``t`` if at most ``action.max_age`` old (the
  robot still executes it); else the frame is dropped (``no_command``). Command stamps are first
  shifted by ``-action.offset``. The report measures the association: ``command_offset_ms``
  (each command's stamp minus the camera frame before it: median, p05, p95) and
  ``first_command_lag_ms`` (first command minus first frame). It warns when the association is
  ambiguous: commands stamped just before a frame (within 5 ms or a tenth of a period: clock
  skew between hosts moves them to the previous frame's window), or a first command later than
  one period (a lag that pairs each command with a later frame). ``action.offset`` fixes both.
  ``state_delta``: ``state[t+1] - state[t]`` within the episode (as V-JEPA 2-AC does with DROID);
  the last action of an episode is zero (it has no successor frame).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from jepa_wm.bags import sync
from jepa_wm.bags.config import BagConvertConfig
from jepa_wm.bags.messages import quat_to_rpy
from jepa_wm.bags.scan import BagScan, Stream


@dataclass
class EpisodePlan:
    """One episode to write. ordinals: (T,) image ordinals in read order; timestamp: (T,)
    float64 seconds; state: (T, S) float32; action: (T, A) float32; image_stamp_ns: (T,)."""

    ordinals: np.ndarray
    image_stamp_ns: np.ndarray
    timestamp: np.ndarray
    state: np.ndarray
    action: np.ndarray
    partial: bool = False  # cut off by a crash (``episodes.partial``)


def _jump_log_times(s: Stream | None, jump_ns: float) -> np.ndarray:
    if s is None or len(s) < 2:
        return np.zeros(0, np.int64)
    d = np.diff(s.stamp_ns) - np.diff(s.log_ns)
    return s.log_ns[1:][np.abs(d) > jump_ns]


def _segment_part(s: Stream, seg: np.ndarray, k: int, counts: Counter) -> tuple[Stream, np.ndarray]:
    """Rows of segment k, sorted by stamp, with repeated stamps dropped."""
    rows = np.flatnonzero(seg == k)
    rows = rows[np.argsort(s.stamp_ns[rows], kind="stable")]
    keep = np.ones(rows.size, bool)
    keep[1:] = s.stamp_ns[rows[1:]] != s.stamp_ns[rows[:-1]]
    counts["duplicate_stamp"] += int((~keep).sum())
    rows = rows[keep]
    return Stream(s.log_ns[rows], s.stamp_ns[rows], s.values[rows]), rows


def _sample(
    s: Stream | None, ref_ns: int, q: np.ndarray, tol: float, method: str
) -> tuple[np.ndarray, np.ndarray]:
    t = (s.stamp_ns - ref_ns) / 1e9
    fn = sync.sample_linear if method == "linear" else sync.sample_nearest
    return fn(t, s.values, q, tol)


def _ee_state(ee: Stream, ref_ns: int, q: np.ndarray, cfg: BagConvertConfig):
    vals = ee.values.copy()
    # q and -q are the same rotation: flip to keep neighbours on one side before interpolating
    for i in range(1, len(vals)):
        if np.dot(vals[i, 3:], vals[i - 1, 3:]) < 0:
            vals[i, 3:] *= -1
    out, ok = _sample(
        Stream(ee.log_ns, ee.stamp_ns, vals), ref_ns, q, cfg.state.tolerance, cfg.state.method
    )
    quat = np.where(ok[:, None], out[:, 3:], [0.0, 0.0, 0.0, 1.0])
    return np.concatenate([out[:, :3], quat_to_rpy(quat)], axis=1), ok


def plan_bag(scan: BagScan, cfg: BagConvertConfig) -> tuple[list[EpisodePlan], dict]:
    """Episodes of one bag and a report {"images", "frames_kept", "dropped": {...}, ...}."""
    counts: Counter = Counter()
    jump_ns = cfg.clock_jump * 1e9
    cuts = (
        np.unique(
            np.concatenate(
                [_jump_log_times(scan.images, jump_ns), _jump_log_times(scan.joints, jump_ns)]
            )
        )
        if cfg.stamp_source == "header"
        else np.zeros(0, np.int64)
    )
    order_breaks = int((np.diff(scan.images.stamp_ns) < 0).sum())
    episodes: list[EpisodePlan] = []
    offsets: dict[str, list[float]] = {"after": [], "near": [], "lag": []}
    for k in range(len(cuts) + 1):
        episodes += _plan_segment(scan, cfg, cuts, k, counts, offsets)
    warnings = list(scan.warnings)
    report = {
        "bag": str(scan.path),
        "images": len(scan.images),
        "frames_kept": int(sum(len(e.ordinals) for e in episodes)),
        "episodes": len(episodes),
        "partial_episodes": sum(e.partial for e in episodes),
        "partial_dropped": counts.pop("partial_dropped", 0),
        "clock_jumps": int(len(cuts)),
        "out_of_order_stamps": order_breaks,
        "dropped": dict(sorted(counts.items())),
        "warnings": warnings,
    }
    if scan.command is not None:
        report.update(_offset_report(offsets, cfg, warnings, scan))
    return episodes, report


def _offset_report(offsets: dict, cfg: BagConvertConfig, warnings: list, scan: BagScan) -> dict:
    """command_offset_ms / first_command_lag_ms, and a warning where the association of commands
    to frames is ambiguous (see the module docstring)."""
    after = np.asarray(offsets["after"]) * 1e3
    if after.size == 0:
        return {"command_offset_ms": None, "first_command_lag_ms": None}
    lag = float(np.median(offsets["lag"])) * 1e3
    near = float(np.mean(offsets["near"]))
    period_ms = cfg.period * 1e3
    topic = cfg.action.topic
    if near >= 0.2:
        warnings.append(
            f"{scan.path}: {topic}: {near:.0%} of commands are stamped less than "
            f"{_edge(cfg) * 1e3:.0f} ms before a camera frame, so clock skew decides which frame "
            "each belongs to (ambiguous); check the hosts' clocks or set action.offset"
        )
    if lag > period_ms:
        warnings.append(
            f"{scan.path}: {topic}: the first command comes {lag:.0f} ms after the first frame, "
            f"more than one period ({period_ms:.0f} ms): each command may pair with a later "
            f"frame than the one it was computed from (ambiguous); set action.offset: "
            f"{lag / 1e3:.3f} if that is the lag"
        )
    p05, p50, p95 = np.percentile(after, [5, 50, 95])
    return {
        "command_offset_ms": {"median": round(p50, 2), "p05": round(p05, 2), "p95": round(p95, 2)},
        "first_command_lag_ms": round(lag, 2),
    }


def _edge(cfg: BagConvertConfig) -> float:
    return min(0.005, 0.1 * cfg.period)


def _seg_ids(s: Stream | None, cuts: np.ndarray) -> np.ndarray | None:
    return None if s is None else np.searchsorted(cuts, s.log_ns, side="right")


def _plan_segment(
    scan: BagScan, cfg: BagConvertConfig, cuts, k: int, counts: Counter, offsets: dict
):
    cam, cam_rows = _segment_part(scan.images, _seg_ids(scan.images, cuts), k, counts)
    if len(cam) == 0:
        return []
    ref = int(cam.stamp_ns[0])
    t_cam = (cam.stamp_ns - ref) / 1e9
    slots = sync.select_frames(t_cam, cfg.period, cfg.frame_tol)
    sel = slots[slots >= 0]
    counts["missing_slot"] += int((slots < 0).sum())
    counts["decimated"] += int(len(cam) - sel.size)
    q = t_cam[sel]
    ok = np.ones(sel.size, bool)
    parts = []
    if scan.joints is not None:
        js, _ = _segment_part(scan.joints, _seg_ids(scan.joints, cuts), k, Counter())
        v, good = _sample(js, ref, q, cfg.state.tolerance, cfg.state.method)
        counts["no_state"] += int((ok & ~good).sum())
        ok &= good
        parts.append(v)
    if scan.ee is not None:
        es, _ = _segment_part(scan.ee, _seg_ids(scan.ee, cuts), k, Counter())
        v, good = _ee_state(es, ref, q, cfg)
        counts["no_ee_pose"] += int((ok & ~good).sum())
        ok &= good
        parts.append(v)
    if scan.odom is not None:
        os_, _ = _segment_part(scan.odom, _seg_ids(scan.odom, cuts), k, Counter())
        v, good = _ee_state(os_, ref, q, cfg)
        counts["no_odom"] += int((ok & ~good).sum())
        ok &= good
        parts.append(v[:, [0, 1, 5]])  # x, y, yaw
    state = np.concatenate(parts, axis=1)
    action = None
    if scan.command is not None:
        cs, _ = _segment_part(scan.command, _seg_ids(scan.command, cuts), k, Counter())
        action, good = _commands(cs, ref, q, cfg)
        _measure_offsets(cs, ref, t_cam, cfg, offsets)
        counts["no_command"] += int((ok & ~good).sum())
        ok &= good
    frames = dict(
        ordinals=cam_rows[sel][ok],
        stamp=cam.stamp_ns[sel][ok],
        log=cam.log_ns[sel][ok],
        state=state[ok],
        action=None if action is None else action[ok],
    )
    return _split(frames, scan, cfg, counts, last=k == len(cuts))


def _measure_offsets(cs: Stream, ref: int, t_cam: np.ndarray, cfg, offsets: dict) -> None:
    """Per command: its time after the frame before it, and whether it sits just before a frame;
    per segment: the first command's lag behind the first frame. Times after ``action.offset``."""
    t = (cs.stamp_ns - ref) / 1e9 - cfg.action.offset
    inside = (t >= t_cam[0]) & (t <= t_cam[-1])
    if not inside.any():
        return
    t = t[inside]
    j = np.searchsorted(t_cam, t, side="right")  # frames at or before each command
    after = t - t_cam[j - 1]
    nxt = t_cam[np.clip(j, 0, len(t_cam) - 1)] - t
    near = (j < len(t_cam)) & (nxt > 0) & (nxt < _edge(cfg))
    offsets["after"] += after.tolist()
    offsets["near"] += near.tolist()
    offsets["lag"].append(float(t[0] - t_cam[0]))


def _commands(cs: Stream, ref: int, q: np.ndarray, cfg: BagConvertConfig):
    """The first command in [t, t + 1/fps) ("sent after observing frame t"); if there is none,
    the last one before t, at most ``action.max_age`` old (the robot still executes it)."""
    t = (cs.stamp_ns - ref) / 1e9 - cfg.action.offset
    nxt, ok_n = sync.sample_next(t, cs.values, q, cfg.period)
    prev, ok_p = sync.sample_previous(t, cs.values, q, cfg.action.max_age)
    return np.where(ok_n[:, None], nxt, prev), ok_n | ok_p


def _episode_ids(
    f: dict, scan: BagScan, cfg: BagConvertConfig, counts: Counter, last: bool
) -> tuple[np.ndarray, int | None]:
    """Episode id per kept frame (-1: outside any episode), and the id of the episode a crash
    cut off (None if none): a start marker no stop follows, or the last episode of an unclosed
    bag when there are no markers (``last``: this is the bag's last clock segment)."""
    n = len(f["stamp"])
    if cfg.episodes.split in ("bag", "gap"):
        if cfg.episodes.split == "bag":
            ids = np.zeros(n, np.int64)
        else:
            gaps = np.diff(f["stamp"]) / 1e9 > cfg.episodes.gap
            ids = np.concatenate([[0], np.cumsum(gaps)]).astype(np.int64)
        return ids, (int(ids[-1]) if n and last and not scan.closed else None)
    m = scan.markers
    order = np.argsort(m.log_ns, kind="stable")
    mlog, mval = m.log_ns[order], m.values[order, 0]
    starts = np.cumsum(mval == 1.0)  # episode number after each marker
    j = np.searchsorted(mlog, f["log"], side="right") - 1  # last marker at or before the frame
    active = (j >= 0) & (mval[np.clip(j, 0, None)] == 1.0)
    counts["outside_episode"] += int((~active).sum())
    cut = int(starts[-1]) if len(mval) and mval[-1] == 1.0 else None  # started, never stopped
    return np.where(active, starts[np.clip(j, 0, None)], -1).astype(np.int64), cut


def _split(
    f: dict, scan: BagScan, cfg: BagConvertConfig, counts: Counter, last: bool
) -> list[EpisodePlan]:
    ids, cut = _episode_ids(f, scan, cfg, counts, last)
    out = []
    for e in np.unique(ids[ids >= 0]):
        m = ids == e
        if m.sum() < cfg.episodes.min_length:
            counts["short_episode"] += int(m.sum())
            continue
        if e == cut and cfg.episodes.partial == "drop":
            counts["partial_episode"] += int(m.sum())
            counts["partial_dropped"] += 1
            continue
        state = f["state"][m]
        if f["action"] is None:
            action = np.zeros_like(state)
            action[:-1] = state[1:] - state[:-1]
        else:
            action = f["action"][m]
        out.append(
            EpisodePlan(
                ordinals=f["ordinals"][m],
                image_stamp_ns=f["stamp"][m],
                timestamp=f["stamp"][m] / 1e9,
                state=state.astype(np.float32),
                action=action.astype(np.float32),
                partial=bool(e == cut),
            )
        )
    return out
