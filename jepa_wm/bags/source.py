"""Open one rosbag2 recording (directory, ``.mcap`` or ``.db3``) and stream its raw messages.

Indexed bags are read with ``rosbags``. MCAP files that were never closed (recorder killed,
truncated copy) are read with the recovery scanner in ``mcap_recover``: what was fully written is
used and the loss is reported in ``warnings``. A sqlite3 recording that was never closed keeps its
newest messages in ``<file>.db3-wal``, which rosbags' read-only open ignores: the WAL is replayed
into a temporary copy (the bag itself is never written) and the messages only it held are
counted in ``warnings``. Messages compressed one by one (``compression_mode: message``, zstd) are
recognised by the zstd frame magic, so they decode even without the metadata.yaml that says so. Types come from the ROS 2 Kilted type store, plus
the message definitions stored in the bag for types it does not know (e.g. ``test_msgs``).

Usage::

    with BagSource(path) as bag:
        bag.topics                          # {topic: TopicInfo(msgtype, count)}
        for topic, msgtype, log_ns, raw in bag.messages({"/joint_states"}):
            msg = bag.decode(raw, msgtype)
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from jepa_wm.bags.mcap_recover import ScanState, scan_mcap
from jepa_wm.errors import BagError


@dataclass(frozen=True)
class TopicInfo:
    msgtype: str
    count: int | None  # None when unknown (recovered files)


def _typestore():
    from rosbags.typesys import Stores, get_typestore

    return get_typestore(Stores.ROS2_KILTED)


def _register_definition(store, msgtype: str, fmt: str, text: str) -> None:
    """Add a bag-stored definition for a type the standard store lacks; keep the store's own
    definition otherwise (some real bags store truncated placeholder definitions)."""
    from rosbags.typesys import get_types_from_idl, get_types_from_msg

    if msgtype in store.types or not text:
        return
    try:
        if fmt in ("ros2idl", "IDL"):
            sep = "=" * 80 + "\n"
            parts = text.split(sep)[1:] if text.startswith(sep) else [text]
            for part in parts:
                store.register(get_types_from_idl(part.split("\n", 1)[-1]))
        else:
            store.register(get_types_from_msg(text, msgtype))
    except Exception:  # a broken definition only makes that one topic undecodable
        return


def _zstd_decompress(data: bytes) -> bytes:
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python >= 3.14
    except ImportError:
        from backports import zstd  # type: ignore[no-redef]
    return zstd.decompress(data)


class BagSource:
    """One recording. Not thread-safe; iterate one ``messages()`` generator at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise BagError(f"{self.path}: no such bag (file or directory)")
        self.warnings: list[str] = []
        self.closed = True  # False once opening finds a recording its recorder never closed
        self.topics: dict[str, TopicInfo] = {}
        self.store = _typestore()
        self._reader = None
        self._recover_files: list[Path] = []
        self._tmp: Path | None = None  # a replayed copy of a sqlite3 file and its WAL

    # -- opening ---------------------------------------------------------------------------
    def __enter__(self) -> BagSource:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        from rosbags.rosbag2 import Reader

        target = self.path
        if self.path.is_dir() and not (self.path / "metadata.yaml").exists():
            db3 = sorted(self.path.glob("*.db3"))
            if len(db3) != 1:  # an unclosed mcap recording: recover its complete chunks
                self._open_recovery(sorted(self.path.glob("*.mcap")), "no metadata.yaml")
                return
            target = db3[0]  # an unclosed sqlite3 recording: the database itself is consistent
            self.closed = False
            self.warnings.append(
                f"{self.path}: not a closed bag (no metadata.yaml); reading {target.name}"
            )
        if target.suffix == ".db3":
            target = self._replay_wal(target)
        try:
            reader = Reader(target)
            reader.open()
        except Exception as exc:  # rosbags raises several types for bad files
            mcaps = self._mcap_files()
            if not mcaps:
                raise BagError(f"{self.path}: cannot read bag: {exc}") from None
            self._open_recovery(mcaps, str(exc))
            return
        self._reader = reader
        for conn in reader.connections:
            fmt = conn.msgdef.format.name if conn.msgdef.format else ""
            _register_definition(self.store, conn.msgtype, fmt, conn.msgdef.data)
            old = self.topics.get(conn.topic)
            count = conn.msgcount + (old.count or 0 if old else 0)
            self.topics[conn.topic] = TopicInfo(conn.msgtype, count)

    def _mcap_files(self) -> list[Path]:
        if self.path.suffix == ".mcap":
            return [self.path]
        return sorted(self.path.glob("*.mcap")) if self.path.is_dir() else []

    def _open_recovery(self, files: list[Path], why: str) -> None:
        if not files:
            raise BagError(f"{self.path}: cannot read bag ({why}) and it holds no .mcap file")
        self._recover_files = files
        self.closed = False
        self.warnings.append(f"{self.path}: not a closed bag ({why}); recovering complete records")
        # One metadata pass: channels and schemas are needed to list topics.
        counts: dict[str, int] = {}
        for f in files:
            st = ScanState()
            for cid, _t, _raw in scan_mcap(f, st):
                topic = st.channels[cid][0]
                counts[topic] = counts.get(topic, 0) + 1
            for sch in st.schemas.values():
                _register_definition(self.store, sch.name, sch.encoding, sch.data)
            for topic, msgtype in st.channels.values():
                self.topics.setdefault(topic, TopicInfo(msgtype, 0))
            if st.stop_reason and st.good_bytes < st.file_bytes:
                self.warnings.append(
                    f"{f.name}: {st.stop_reason}; {st.file_bytes - st.good_bytes} of "
                    f"{st.file_bytes} bytes unreadable (messages in them are lost)"
                )
        if not self.topics:
            raise BagError(
                f"{self.path}: cannot read bag ({why}); nothing recoverable: {st.stop_reason}"
            )
        self.topics = {t: TopicInfo(i.msgtype, counts.get(t, 0)) for t, i in self.topics.items()}

    def _replay_wal(self, db3: Path) -> Path:
        """``db3``, or a temporary copy with its non-empty ``-wal`` file checkpointed into it."""
        wal = db3.with_name(db3.name + "-wal")
        if not wal.is_file() or wal.stat().st_size == 0:
            return db3
        self.closed = False
        before = _count_messages(f"file:{db3}?immutable=1")  # what rosbags alone would read
        self._tmp = Path(tempfile.mkdtemp(prefix="jepa_wm_wal_"))
        copy = self._tmp / db3.name
        shutil.copy2(db3, copy)
        shutil.copy2(wal, self._tmp / wal.name)
        try:
            con = sqlite3.connect(copy)
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.close()
        except sqlite3.Error as exc:
            raise BagError(f"{db3}: cannot replay {wal.name}: {exc}") from None
        after = _count_messages(f"file:{copy}?immutable=1")
        self.warnings.append(
            f"{db3}: {after - before} of {after} messages were only in {wal.name} (a recording "
            "that was not closed); read from a replayed copy"
        )
        return copy

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    # -- reading ---------------------------------------------------------------------------
    def messages(self, topics: Iterable[str]) -> Iterator[tuple[str, str, int, bytes]]:
        """(topic, msgtype, log_time_ns, cdr_bytes) of the given topics.

        Indexed bags yield in log-time order; recovered files in file (write) order. A read error
        part-way (a truncated sqlite3 file) ends the stream with a warning instead of raising.
        """
        wanted = set(topics)
        if self._reader is None:
            yield from self._recovered_messages(wanted)
            return
        n = 0
        try:
            for conn, ts, raw in self._storage_messages(wanted):
                n += 1
                yield conn.topic, conn.msgtype, ts, raw
        except Exception as exc:  # storage errors mid-file (truncated sqlite3): keep what we read
            self.warnings.append(f"{self.path}: read error after {n} messages: {exc}")

    def _storage_messages(self, wanted: set[str]):
        """Messages straight from each storage file of the bag, file after file.

        rosbags' directory reader matches metadata.yaml topics to the storage's topics by QoS too,
        and yields nothing for real rosbag2 bags whose two QoS spellings differ (the talker
        fixtures); reading each storage file directly avoids that.
        """
        from rosbags.rosbag2.reader import DirectoryReader

        top = self._reader.storage
        storages = top.storages if isinstance(top, DirectoryReader) else [top]
        per_message = (
            isinstance(top, DirectoryReader) and top.metadata.compression_mode == "message"
        )
        for storage in storages:
            conns = [c for c in storage.connections if c.topic in wanted]
            if not conns:
                continue
            for conn, ts, raw in storage.messages(conns):
                yield conn, ts, _zstd_decompress(raw) if per_message else _maybe_zstd(raw)

    def _recovered_messages(self, wanted: set[str]) -> Iterator[tuple[str, str, int, bytes]]:
        for f in self._recover_files:
            st = ScanState()
            for cid, ts, raw in scan_mcap(f, st):
                topic, msgtype = st.channels[cid]
                if topic in wanted:
                    yield topic, msgtype, ts, _maybe_zstd(raw)

    def decode(self, raw: bytes, msgtype: str) -> object:
        """Deserialize CDR bytes; BagError if the type is unknown or the bytes are corrupt."""
        try:
            return self.store.deserialize_cdr(raw, msgtype)
        except KeyError:
            raise BagError(
                f"{self.path}: no definition for message type {msgtype!r} "
                "(not a standard type and the bag stores no definition)"
            ) from None
        except Exception as exc:
            raise BagError(f"{self.path}: cannot decode a {msgtype} message: {exc}") from None


def list_topics(path: str | Path) -> dict[str, TopicInfo]:
    """Topics of a bag with type and message count, without decoding any message."""
    with BagSource(path) as bag:
        return dict(bag.topics)


_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # a zstd frame; CDR starts with 0x00 (encapsulation header)


def _maybe_zstd(raw: bytes) -> bytes:
    """A message rosbag2 compressed on its own (``compression_mode: message``) decompressed;
    any other message as it is. Needed where no metadata.yaml says the bag is compressed."""
    return _zstd_decompress(raw) if bytes(raw[:4]) == _ZSTD_MAGIC else raw


def _count_messages(uri: str) -> int:
    """Rows of a rosbag2 sqlite3 file's messages table (0 if it cannot be read)."""
    try:
        con = sqlite3.connect(uri, uri=True)
        try:
            return int(con.execute("SELECT count(*) FROM messages").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0
