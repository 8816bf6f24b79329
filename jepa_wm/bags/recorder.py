"""A crash-tolerant rosbag2 writer for live recording (used by the ROS ``recorder_node``).

It wraps ``rosbags.rosbag2.Writer`` and takes messages as serialized CDR bytes, exactly as an
rclpy ``raw=True`` subscription delivers them, so nothing is decoded on the recording path.

Crash safety (mcap, the default): rosbags buffers messages in a 1 MiB chunk and writes the footer,
the summary and ``metadata.yaml`` only on ``close()``. ``flush()`` (called by the node every
``flush_period`` seconds) closes the pending chunk and flushes it to the OS, so after a SIGKILL
the file holds every chunk completed so far; ``jepa-wm bag2zarr`` (``jepa_wm.bags.source``)
recovers them, losing at most the last ``flush_period`` seconds. SIGINT/SIGTERM close cleanly.

Episodes: ``mark_episode(True/False)`` records a ``std_msgs/Bool`` on ``marker_topic`` (true =
start, false = stop), which ``bag2zarr`` splits on with ``episodes.split: marker``.

Usage::

    rec = BagRecorder("run1", storage="mcap")
    rec.add_topic("/camera/image_raw", "sensor_msgs/msg/Image")
    rec.write("/camera/image_raw", time.time_ns(), cdr_bytes)
    rec.mark_episode(True, time.time_ns())
    rec.close()
"""

from __future__ import annotations

import os
from pathlib import Path

from jepa_wm.errors import BagError

MARKER_TOPIC = "/episode_marker"
_BOOL_TRUE = bytes([0, 1, 0, 0, 1])  # CDR LE header + std_msgs/Bool data=true
_BOOL_FALSE = bytes([0, 1, 0, 0, 0])


class BagRecorder:
    """Writes one rosbag2 directory. Not thread-safe: call from one executor thread."""

    def __init__(
        self, path: str | Path, storage: str = "mcap", marker_topic: str = MARKER_TOPIC
    ) -> None:
        from rosbags.rosbag2 import StoragePlugin, Writer
        from rosbags.typesys import Stores, get_typestore

        if storage not in ("mcap", "sqlite3"):
            raise BagError(f"storage must be mcap or sqlite3, got {storage!r}")
        self.path = Path(path)
        if self.path.exists():
            raise BagError(f"{self.path}: already exists; rosbag2 recordings are never appended to")
        self.store = get_typestore(Stores.ROS2_KILTED)
        plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
        self._writer = Writer(self.path, version=9, storage_plugin=plugin)
        self._writer.open()
        self._conns: dict[str, object] = {}
        self.counts: dict[str, int] = {}
        self.marker_topic = marker_topic
        self.episode_open = False
        self._dirty = False

    def add_topic(self, topic: str, msgtype: str) -> bool:
        """Register ``topic``; False (not recorded) if its type is not a standard ROS 2 type."""
        if topic in self._conns:
            return True
        if msgtype not in self.store.types:
            return False
        self._conns[topic] = self._writer.add_connection(topic, msgtype, typestore=self.store)
        self.counts[topic] = 0
        return True

    @property
    def topics(self) -> list[str]:
        return list(self._conns)

    def write(self, topic: str, log_ns: int, data: bytes) -> None:
        """Append one serialized message (``data`` is CDR, with its 4-byte header)."""
        self._writer.write(self._conns[topic], int(log_ns), data)
        self.counts[topic] += 1
        self._dirty = True

    def mark_episode(self, start: bool, log_ns: int) -> None:
        """Record an episode start (True) or stop (False) on ``marker_topic``."""
        self.add_topic(self.marker_topic, "std_msgs/msg/Bool")
        self.write(self.marker_topic, log_ns, _BOOL_TRUE if start else _BOOL_FALSE)
        self.episode_open = start

    def flush(self) -> None:
        """Make everything written so far survive a SIGKILL (mcap: close the chunk, fsync)."""
        storage = self._writer.storage
        if not self._dirty or storage is None:
            return
        # rosbags has no public flush; its mcap writer closes chunks at 1 MiB. Closing the chunk
        # early gives a complete, self-describing chunk record on disk.
        if hasattr(storage, "close_chunk") and storage.chunk.bio.tell():
            storage.close_chunk()
            storage.bio.flush()
            os.fsync(storage.bio.fileno())
        elif hasattr(storage, "conn"):  # sqlite3: commit the implicit transaction
            storage.conn.commit()
        self._dirty = False

    def close(self) -> None:
        """Finish the bag: footer, summary and metadata.yaml. Safe to call twice."""
        if self._writer is None:
            return
        if self.episode_open:
            self.mark_episode(False, max(self._last_ns(), 0))
        writer, self._writer = self._writer, None
        writer.close()

    def _last_ns(self) -> int:
        return int(getattr(self._writer, "max_timestamp", 0) or 0)
