"""The Zarr trajectory store: diffusion_policy's ReplayBuffer layout plus typed metadata.

Usage::

    st = TrajectoryStore.create("demo.zarr", fps=20.0, source={"sim": "franka-reach"},
                                feature_names={"state": ["x", "y", "z", ...]})
    st.add_episode({"rgb": rgb, "state": state, "action": action, "timestamp": ts})
    st = TrajectoryStore.open("demo.zarr")          # read-only
    ep = st.episode(0)                              # {"rgb": uint8 [T,H,W,3], ...}

Crash safety: ``add_episode`` validates everything first, writes ``data/<key>`` and commits by
extending ``meta/episode_ends`` last. zarr's LocalStore writes every file atomically (temp file
+ rename), so a kill leaves either the old or the new version of each file. Data past the last
committed end is an interrupted episode: mode "r" ignores it, mode "a" truncates it; both warn.
Readers see only committed episodes (``episode``, ``read_all``, ``read``); ``array`` is the raw
array.

One writer: mode "a" (and ``create``) takes an exclusive lock on ``<store>.lock`` (filelock)
and holds it until ``close()`` or the process ends; a second writer is refused with one line
naming the holder. An I/O error while appending (ENOSPC, EFBIG, EIO) is one StoreError line and
rolls the episode back. Consolidated metadata written by other tools is never read (it may be
stale); a writer refreshes it after each write so those tools see the new episodes.

Convention: ``action[t]`` is the command sent after observing ``rgb[t]``/``state[t]``; it leads
to ``state[t+1]``. The last action of an episode has no successor frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
import re
import shutil
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import zarr

from jepa_wm.data import keys as K
from jepa_wm.data.location import (
    Location,
    as_location,
    is_url,
    remote_kind,
    remote_size,
    remove_remote,
    zarr_store,
)
from jepa_wm.data.lock import WriterLock
from jepa_wm.data.stats import compute_stats as _stats_of
from jepa_wm.data.validate import check_array, committed_episodes, validate_episode
from jepa_wm.errors import StoreError

# Crash safety rests on zarr's atomic LocalStore writes (temp file + rename), new in 3.1.3.
MIN_ZARR_FOR_WRITES = (3, 1, 3)
ENDS_CHUNK = 4096  # entries of meta/episode_ends per chunk
LOWDIM_CHUNK_BYTES = 1 << 16  # 64 KiB: an append rewrites at most one small chunk


def _compressor(zarr_format: int, shuffle: bool) -> Any:
    """Blosc-lz4: decodes at GB/s, so decoding does not dominate clip loading."""
    if zarr_format == 3:
        from zarr.codecs import BloscCodec

        return BloscCodec(cname="lz4", clevel=5, shuffle="shuffle" if shuffle else "noshuffle")
    import numcodecs

    mode = numcodecs.Blosc.SHUFFLE if shuffle else numcodecs.Blosc.NOSHUFFLE
    return numcodecs.Blosc(cname="lz4", clevel=5, shuffle=mode)


def _json_check(name: str, value: Any) -> None:
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{name} must be JSON-serialisable: {exc}") from None


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def _os_error(exc: OSError) -> str:
    """'No space left on device (errno 28)' rather than a 27-frame traceback."""
    if exc.errno is not None:
        return f"{exc.strerror or os.strerror(exc.errno)} (errno {exc.errno})"
    return _one_line(exc)


def _drain_pending_writes(timeout_s: float = 10.0) -> None:
    """Wait (bounded) for chunk writes zarr still runs after one of them failed.

    zarr writes an array's chunks concurrently on its own event loop; when one write fails the
    others keep going and would recreate files and folders the rollback just removed.
    """
    from zarr.core.sync import _get_loop

    async def drain() -> None:
        me = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not me]
        if pending:
            await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), timeout_s)

    with contextlib.suppress(Exception):
        asyncio.run_coroutine_threadsafe(drain(), _get_loop()).result(timeout_s + 1)


def _writer_lock(path: Location) -> WriterLock | None:
    """The store's writer lock, taken (StoreError naming the holder when another has it).

    None for a store on object storage: an OS file lock cannot span machines, so one writer
    per S3 store is the user's to ensure (documented in the README)."""
    if is_url(path):
        return None
    lock = WriterLock(path)
    lock.acquire()
    return lock


def _has_consolidated(path: Path) -> bool:
    """True when another tool left consolidated metadata (v2 .zmetadata, v3 in zarr.json)."""
    if (path / ".zmetadata").is_file():
        return True
    try:
        meta = json.loads((path / "zarr.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("consolidated_metadata") is not None


class TrajectoryStore:
    """A trajectory store on disk. Build it with :meth:`create` or :meth:`open`."""

    def __init__(
        self, path: Location, root: zarr.Group, mode: str, lock: WriterLock | None = None
    ) -> None:
        self.path = path
        self.mode = mode
        self._lock = lock  # None for a read-only store, or one on object storage (no OS lock)
        self._closed = False
        self._root = root
        self._data = root[K.DATA_GROUP]
        self._ends_array = root[K.EPISODE_ENDS_PATH]
        self._arrays: dict[str, zarr.Array] = {}
        self._ends = np.zeros(0, dtype=np.int64)
        self._load_index()

    # ---------------------------------------------------------------- construction
    @classmethod
    def create(
        cls,
        path: str | Path,
        *,
        fps: float,
        source: dict,
        feature_names: dict[str, list[str]] | None = None,
        cameras: dict | None = None,
        zarr_format: int = 3,
        overwrite: bool = False,
        units: dict[str, list[str] | str] | None = None,
    ) -> TrajectoryStore:
        """Create an empty store (Zarr v3 by default, v2 for diffusion_policy/UMI readers).

        feature_names: e.g. {"state": ["x", ...], "action": ["dx", ...]}; checked on the first
        episode. cameras: per-camera metadata such as intrinsics, keyed by camera name.
        units: optional units per key, e.g. {"state": ["m", "m", "m", "rad", ...]}.
        """
        path = as_location(path)
        _require_atomic_writes()
        if zarr_format not in (2, 3):
            raise StoreError(f"zarr_format must be 2 or 3, got {zarr_format}")
        if not (isinstance(fps, int | float) and fps > 0):
            raise StoreError(f"fps must be a positive number, got {fps!r}")
        for name, value in (("source", source), ("cameras", cameras), ("units", units)):
            _json_check(name, value)
        feature_names = {k: list(v) for k, v in (feature_names or {}).items()}
        _json_check("feature_names", feature_names)
        # The lock comes before the existence check: two creators must not both pass it.
        lock = _writer_lock(path)
        try:
            _prepare_target(path, overwrite)
            root = zarr.open_group(zarr_store(path, False), mode="w-", zarr_format=zarr_format)
            _init_root(root, fps, source, feature_names, cameras, units)
        except OSError as exc:
            if lock is not None:
                lock.release()
            raise StoreError(f"{path}: cannot create the store: {_os_error(exc)}") from None
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return cls(path, root, "a", lock)

    @classmethod
    def open(cls, path: str | Path, mode: str = "r") -> TrajectoryStore:
        """Open a v2 or v3 store: "r" read-only, "a" append. Raises StoreError (one line)."""
        path = as_location(path)
        if mode not in ("r", "a"):
            raise StoreError(f"mode must be 'r' or 'a', got {mode!r}")
        if is_url(path):
            if remote_kind(path) != "store":
                raise StoreError(f"{path}: not a Zarr store (no zarr.json or .zgroup)")
        elif not path.exists():
            raise StoreError(f"{path}: no such store (path does not exist)")
        elif not path.is_dir():
            raise StoreError(f"{path}: not a trajectory store (a store is a Zarr directory)")
        elif not (path / "zarr.json").is_file() and not (path / ".zgroup").is_file():
            raise StoreError(f"{path}: not a Zarr store (no zarr.json or .zgroup)")
        # The lock comes before reading the index: repairing a live writer's tail would splice.
        lock = _writer_lock(path) if mode == "a" else None
        try:
            return cls._open_locked(path, mode, lock)
        except BaseException:
            if lock is not None:
                lock.release()
            raise

    @classmethod
    def _open_locked(cls, path: Location, mode: str, lock: WriterLock | None) -> TrajectoryStore:
        try:
            zmode = "r" if mode == "r" else "r+"
            # use_consolidated=False: metadata another tool consolidated goes stale on append.
            root = zarr.open_group(
                zarr_store(path, mode == "r"), mode=zmode, use_consolidated=False
            )
            attrs = root.attrs.asdict()
        except Exception as exc:
            raise StoreError(f"{path}: cannot open as a Zarr group: {_one_line(exc)}") from None
        if attrs.get("format") != K.FORMAT_NAME:
            hint = " (it has data/ and meta/: a diffusion_policy ReplayBuffer?)"
            plain = K.DATA_GROUP in root and K.META_GROUP in root
            raise StoreError(
                f"{path}: a Zarr store, but not a jepa-wm trajectory store "
                f"(format attribute is {attrs.get('format')!r}){hint if plain else ''}"
            )
        version = attrs.get("format_version")
        if not isinstance(version, int) or version > K.FORMAT_VERSION:
            raise StoreError(
                f"{path}: format_version {version!r} is not supported "
                f"(this jepa-wm reads up to {K.FORMAT_VERSION})"
            )
        try:
            return cls(path, root, mode, lock)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"{path}: corrupt store: {_one_line(exc)}") from None

    # ---------------------------------------------------------------- index
    def _load_index(self) -> None:
        """Read episode_ends and data/<key>; ignore (r) or truncate (a) uncommitted data."""
        where = str(self.path)
        if K.DATA_GROUP not in self._root or K.EPISODE_ENDS_PATH not in self._root:
            raise StoreError(f"{where}: missing data/ or meta/episode_ends")
        ends_arr = self._ends_array
        if ends_arr.dtype != np.int64 or ends_arr.ndim != 1:
            raise StoreError(f"{where}: meta/episode_ends must be 1-D int64, got {ends_arr.dtype}")
        try:
            ends = np.asarray(ends_arr[:], dtype=np.int64)
        except Exception as exc:
            raise StoreError(f"{where}: meta/episode_ends is corrupt: {_one_line(exc)}") from None
        arrays = dict(self._data.arrays())
        for key, arr in arrays.items():
            check_array(where, key, arr.dtype, arr.shape)
        lengths = {k: int(a.shape[0]) for k, a in arrays.items()}
        n = committed_episodes(where, ends, lengths)
        self._ends = ends[:n].copy()
        total = self.num_steps
        partial = n < len(ends) or any(length > total for length in lengths.values())
        if n == 0 and not partial:
            arrays = {}  # a never-written empty store has no keys yet
        if partial:
            action = "truncating it" if self.mode == "a" else "ignoring it"
            warnings.warn(
                f"{where}: found an interrupted (uncommitted) episode after episode {n - 1}; "
                f"{action}",
                stacklevel=3,
            )
            if self.mode == "a":
                arrays = self._repair(n, arrays)
            elif n == 0:
                arrays = {}
        self._arrays = arrays

    def _repair(self, n: int, arrays: dict[str, zarr.Array]) -> dict[str, zarr.Array]:
        self._ends_array.resize((n,))
        total = self.num_steps
        for key, arr in list(arrays.items()):
            if n == 0:
                del self._data[key]  # the first episode fixes the keys and shapes again
                arrays.pop(key)
            elif arr.shape[0] > total:
                arr.resize((total, *arr.shape[1:]))
        for leftover in [] if is_url(self.path) else self.path.rglob("*.partial"):
            leftover.unlink(missing_ok=True)  # temp files of writes the kill cut short
        return arrays

    # ---------------------------------------------------------------- writing
    def add_episode(self, episode: Mapping[str, np.ndarray]) -> int:
        """Append one episode, all or nothing; returns its index.

        episode: {"rgb": uint8 [T,H,W,3], "state": [T,S], "action": [T,A], "timestamp": [T],
                  optional "rgb_<cam>": uint8 [T,H,W,3]}. NaN/inf state or action is refused.
        Existing ``attrs["stats"]`` are cleared (call ``compute_stats()`` after appending).
        An I/O error (disk full, file too large) raises StoreError after rolling back.
        """
        self._check_writable()
        existing = {k: tuple(a.shape[1:]) for k, a in self._arrays.items()}
        arrays, length = validate_episode(episode, existing)
        n, start = self.num_episodes, self.num_steps
        try:
            if not self._arrays:
                self._init_arrays(arrays)
            if self._root.attrs.get("stats"):
                # Stats of fewer steps would silently mis-normalise: drop them before writing.
                self._root.attrs["stats"] = {}
            for key in sorted(arrays):
                self._write_key(key, arrays[key], start)
            self._commit(start + length)
        except OSError as exc:
            self._rollback(n)
            raise StoreError(
                f"{self.path}: episode {n} not written: {_os_error(exc)}; the store keeps its "
                f"{n} earlier episodes unchanged"
            ) from None
        self._refresh_consolidated()
        return self.num_episodes - 1

    def _rollback(self, n: int) -> None:
        """Best effort after a failed append: drop rows and arrays past episode ``n``.

        Whatever this cannot undo (the disk may still be full) lies past the committed end,
        which readers ignore and the next writer truncates.
        """
        self._ends = self._ends[:n]
        _drain_pending_writes()
        with contextlib.suppress(OSError):
            if self._ends_array.shape[0] > n:
                self._ends_array.resize((n,))
        if n == 0:
            for key in list(self._arrays):
                with contextlib.suppress(OSError, KeyError):
                    del self._data[key]
                if not is_url(self.path):
                    shutil.rmtree(self.path / K.DATA_GROUP / key, ignore_errors=True)
            self._arrays = {}
        for arr in self._arrays.values():
            with contextlib.suppress(OSError):
                if arr.shape[0] > self.num_steps:
                    arr.resize((self.num_steps, *arr.shape[1:]))
        for leftover in [] if is_url(self.path) else self.path.rglob("*.partial"):
            leftover.unlink(missing_ok=True)

    def _refresh_consolidated(self) -> None:
        """Rewrite consolidated metadata that another tool left, so it shows the new state."""
        if is_url(self.path) or not _has_consolidated(self.path):
            return  # (on object storage, zarr itself reads no consolidated metadata we wrote)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # v3: "not part of the Zarr 3 spec"
                zarr.consolidate_metadata(
                    zarr_store(self.path, False), zarr_format=self.zarr_format
                )
        except OSError as exc:
            raise StoreError(
                f"{self.path}: data written, but refreshing its consolidated metadata failed: "
                f"{_os_error(exc)} (readers of this store ignore it)"
            ) from None

    def _init_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        """First episode: check feature names, record shapes, create data/<key>."""
        features = copy.deepcopy(self._root.attrs.get("features", {}))
        for key, arr in arrays.items():
            feat = features.setdefault(key, {"dtype": str(arr.dtype), "names": None})
            names = feat.get("names")
            if names is not None and arr.ndim == 2 and len(names) != arr.shape[1]:
                raise StoreError(
                    f"feature_names[{key!r}] has {len(names)} names but the episode's {key} "
                    f"has {arr.shape[1]} columns"
                )
            feat["shape"] = list(arr.shape[1:])
            feat["dtype"] = str(arr.dtype)
            self._arrays[key] = self._create_array(key, arr)
        self._root.attrs["features"] = features

    def _create_array(self, key: str, arr: np.ndarray) -> zarr.Array:
        per_step = tuple(arr.shape[1:])
        fmt = self.zarr_format
        if K.is_rgb_key(key):
            chunks = (1, *per_step)  # one frame per chunk: a clip decodes only its frames
            compressor = _compressor(fmt, shuffle=False)
        else:
            row_bytes = arr.dtype.itemsize * int(np.prod(per_step, dtype=np.int64))
            chunks = (max(1, LOWDIM_CHUNK_BYTES // row_bytes), *per_step)
            compressor = _compressor(fmt, shuffle=True)
        return self._data.create_array(
            key,
            shape=(0, *per_step),
            chunks=chunks,
            dtype=arr.dtype,
            fill_value=0,
            compressors=compressor,
        )

    def _write_key(self, key: str, value: np.ndarray, start: int) -> None:
        arr = self._arrays[key]
        arr.resize((start + len(value), *arr.shape[1:]))
        arr[start : start + len(value)] = value

    def _commit(self, end: int) -> None:
        """The commit point: the episode exists once meta/episode_ends holds its end."""
        k = self.num_episodes
        self._ends_array.resize((k + 1,))
        self._ends_array[k] = end
        self._ends = np.append(self._ends, np.int64(end))

    def _check_writable(self) -> None:
        if self.mode != "a":
            raise StoreError(f"{self.path}: store is open read-only (open it with mode='a')")
        if self._closed or (self._lock is not None and not self._lock.held):
            raise StoreError(f"{self.path}: store was closed (open it again with mode='a')")
        _require_atomic_writes()

    def close(self) -> None:
        """Release the writer lock (mode "a"); the object then only reads."""
        self._closed = True
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> TrajectoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        lock = getattr(self, "_lock", None)
        if lock is not None:
            with contextlib.suppress(Exception):
                lock.release()

    def _write_attrs(self, attrs: Mapping[str, Any]) -> None:
        try:
            self._root.attrs.update(dict(attrs))
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot write attributes: {_os_error(exc)}") from None
        self._refresh_consolidated()

    def update_attrs(self, attrs: Mapping[str, Any]) -> None:
        """Merge ``attrs`` into the root attributes (``format``/``format_version`` are fixed)."""
        self._check_writable()
        reserved = sorted(set(attrs) & K.RESERVED_ATTRS)
        if reserved:
            raise StoreError(f"root attribute {reserved[0]!r} is reserved")
        _json_check("attrs", dict(attrs))
        self._write_attrs(attrs)

    def compute_stats(self) -> dict:
        """Normalisation stats of state and action, written to ``attrs["stats"]``.

        Returns {key: {"mean","std","min","max","q01","q99": list[float] (per dim), "count"}}.
        """
        self._check_writable()
        if self.num_episodes == 0:
            raise StoreError(f"{self.path}: cannot compute stats of an empty store")
        stats = {}
        for key in K.STATS_KEYS:
            stats[key] = _stats_of(self.read_all(key))
        self._write_attrs({"stats": stats})
        return copy.deepcopy(stats)

    # ---------------------------------------------------------------- reading
    @property
    def num_episodes(self) -> int:
        return len(self._ends)

    @property
    def num_steps(self) -> int:
        return int(self._ends[-1]) if len(self._ends) else 0

    @property
    def episode_ends(self) -> np.ndarray:
        """int64 [E], cumulative: episode i covers steps [ends[i-1], ends[i])."""
        return self._ends.copy()

    @property
    def episode_lengths(self) -> np.ndarray:
        return np.diff(np.concatenate([[0], self._ends])).astype(np.int64)

    @property
    def keys(self) -> list[str]:
        return sorted(self._arrays)

    @property
    def attrs(self) -> dict:
        return copy.deepcopy(self._root.attrs.asdict())

    @property
    def fps(self) -> float:
        return float(self._root.attrs["fps"])

    @property
    def zarr_format(self) -> int:
        return int(self._root.metadata.zarr_format)

    def array(self, key: str) -> zarr.Array:
        """The raw zarr array ``data/<key>``: for shapes, chunks and per-frame reads.

        It may hold uncommitted steps past ``num_steps`` (a writer mid-episode or killed): read
        values through ``episode``/``read_all``/``read``, or index below ``num_steps`` only.
        """
        if key not in self._arrays:
            raise StoreError(f"{self.path}: no key {key!r}; keys: {', '.join(self.keys) or '-'}")
        return self._arrays[key]

    def episode_slice(self, i: int) -> slice:
        n = self.num_episodes
        if not -n <= i < n:
            raise IndexError(f"episode {i} out of range ({n} episodes)")
        i %= n
        start = int(self._ends[i - 1]) if i > 0 else 0
        return slice(start, int(self._ends[i]))

    def episode(self, i: int) -> dict[str, np.ndarray]:
        """All keys of episode ``i``: {"rgb": uint8 [T,H,W,3], "state": [T,S], ...}."""
        sl = self.episode_slice(i)
        return {key: self._read(key, sl, i) for key in self.keys}

    def read_all(self, key: str) -> np.ndarray:
        """data/<key> over every committed step; a corrupt chunk is a StoreError naming it."""
        return self.read(key, 0, self.num_steps)

    def read(self, key: str, start: int, stop: int) -> np.ndarray:
        """data/<key> over the committed steps [start, stop) (for reads in chunks); IndexError
        for a range past ``num_steps``, a StoreError naming a corrupt chunk."""
        if not 0 <= start <= stop <= self.num_steps:
            raise IndexError(f"steps {start}..{stop} outside the {self.num_steps} committed steps")
        return self._read(key, slice(start, stop), "all")

    def _read(self, key: str, sl: slice, episode: int | str) -> np.ndarray:
        try:
            return np.asarray(self.array(key)[sl])
        except StoreError:
            raise
        except Exception as exc:
            where = "" if episode == "all" else f" in episode {episode}"
            raise StoreError(
                f"{self.path}: data/{key} is corrupt{where} "
                f"(steps {sl.start}..{sl.stop}): {_one_line(exc)}"
            ) from None

    def __repr__(self) -> str:
        return (
            f"TrajectoryStore({str(self.path)!r}, episodes={self.num_episodes}, "
            f"steps={self.num_steps}, keys={self.keys})"
        )


def _initial_features(names: dict[str, list[str]], units: dict[str, Any]) -> dict[str, dict]:
    """attrs["features"] before the first episode: dtypes, names, units (shapes come later)."""
    features: dict[str, dict] = {}
    for key in {*K.REQUIRED_KEYS, *names, *units}:
        try:
            dtype = str(K.expected_dtype(key))
        except KeyError as exc:
            raise StoreError(f"feature_names/units: {exc.args[0]}") from None
        features[key] = {"dtype": dtype, "shape": None, "names": None, "units": None}
    features[K.TIMESTAMP]["units"] = "s"
    features[K.RGB]["units"] = "uint8 RGB"
    for key, value in names.items():
        features[key]["names"] = value
    for key, value in units.items():
        features[key]["units"] = value
    return dict(sorted(features.items()))


def _init_root(
    root: zarr.Group,
    fps: float,
    source: dict,
    feature_names: dict[str, list[str]],
    cameras: dict | None,
    units: dict | None,
) -> None:
    """Root attributes, data/ and an empty meta/episode_ends of a new store."""
    features = _initial_features(feature_names, units or {})
    root.attrs.update(
        {
            "format": K.FORMAT_NAME,
            "format_version": K.FORMAT_VERSION,
            "fps": float(fps),
            "features": features,
            "cameras": cameras or {},
            "source": source,
            "stats": {},
        }
    )
    root.create_group(K.DATA_GROUP)
    meta = root.create_group(K.META_GROUP)
    meta.create_array(
        K.EPISODE_ENDS,
        shape=(0,),
        chunks=(ENDS_CHUNK,),
        dtype=np.int64,
        fill_value=0,
        compressors=None,
    )


def _require_atomic_writes() -> None:
    version = tuple(int(x) for x in re.findall(r"\d+", zarr.__version__)[:3])
    if version < MIN_ZARR_FOR_WRITES:
        raise StoreError(
            f"zarr {zarr.__version__} writes files non-atomically; writing a store needs "
            f"zarr>={'.'.join(map(str, MIN_ZARR_FOR_WRITES))} (pip install -U zarr)"
        )


def _prepare_target(path: Location, overwrite: bool) -> None:
    if is_url(path):
        kind = remote_kind(path)
        if kind != "empty" and not overwrite:
            raise StoreError(f"{path}: already exists (pass overwrite=True to replace it)")
        if kind == "other":
            raise StoreError(f"{path}: exists and is not a Zarr store; refusing to overwrite it")
        if kind == "store":
            remove_remote(path)
        return
    if not path.exists():
        return
    if not overwrite:
        raise StoreError(f"{path}: already exists (pass overwrite=True to replace it)")
    is_store = (path / "zarr.json").is_file() or (path / ".zgroup").is_file()
    if path.is_dir() and (is_store or not any(path.iterdir())):
        shutil.rmtree(path)
    else:
        # Never rm -rf something that is not a store: a typo must not delete a home folder.
        raise StoreError(f"{path}: exists and is not a Zarr store; refusing to overwrite it")


def disk_size(path: str | Path) -> int:
    """Bytes on disk under ``path`` (sum of file sizes; object sizes for a URL)."""
    if is_url(path):
        return remote_size(str(path))
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
