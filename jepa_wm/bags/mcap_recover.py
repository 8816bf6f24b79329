"""Read what survives of an MCAP file that was never closed (SIGKILL, power loss, truncated copy).

rosbags refuses such files (no footer, no summary). This scanner walks the data section record by
record with exact reads: every complete top-level record (a whole chunk, or a loose message) is
used, and the first incomplete or corrupt one ends the scan. Nothing partial is ever yielded.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

MAGIC = b"\x89MCAP0\r\n"
_OP_SCHEMA, _OP_CHANNEL, _OP_MESSAGE, _OP_CHUNK = 0x03, 0x04, 0x05, 0x06
_OP_FOOTER, _OP_DATA_END = 0x02, 0x0F


@dataclass
class RecoveredSchema:
    name: str
    encoding: str
    data: str


@dataclass
class ScanState:
    """What the scan learned; ``stop_reason`` is None when the file ended cleanly."""

    schemas: dict[int, RecoveredSchema] = field(default_factory=dict)
    channels: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (topic, msgtype)
    good_bytes: int = 0
    file_bytes: int = 0
    stop_reason: str | None = None


def _str(buf: memoryview, pos: int) -> tuple[str, int]:
    (n,) = struct.unpack_from("<I", buf, pos)
    return bytes(buf[pos + 4 : pos + 4 + n]).decode(), pos + 4 + n


def _decompress(data: bytes, compression: str, size: int) -> bytes:
    if compression == "":
        return data
    if compression == "zstd":
        try:
            from compression import zstd  # type: ignore[import-not-found]  # Python >= 3.14
        except ImportError:
            from backports import zstd  # type: ignore[no-redef]
        return zstd.decompress(data)
    if compression == "lz4":
        import lz4.frame

        return lz4.frame.decompress(data)
    raise ValueError(f"unsupported chunk compression {compression!r}")


def _records(buf: memoryview) -> Iterator[tuple[int, memoryview]]:
    """(opcode, body) of the records inside a complete chunk."""
    pos = 0
    while pos + 9 <= len(buf):
        op = buf[pos]
        (n,) = struct.unpack_from("<Q", buf, pos + 1)
        if pos + 9 + n > len(buf):
            raise ValueError("chunk record overruns its chunk")
        yield op, buf[pos + 9 : pos + 9 + n]
        pos += 9 + n


def _handle(op: int, body: memoryview, st: ScanState) -> Iterator[tuple[int, int, bytes]]:
    if op == _OP_SCHEMA:
        (sid,) = struct.unpack_from("<H", body, 0)
        name, p = _str(body, 2)
        enc, p = _str(body, p)
        data, _ = _str(body, p)
        st.schemas[sid] = RecoveredSchema(name, enc, data)
    elif op == _OP_CHANNEL:
        cid, sid = struct.unpack_from("<HH", body, 0)
        topic, _ = _str(body, 4)
        schema = st.schemas.get(sid)
        st.channels[cid] = (topic, schema.name if schema else "")
    elif op == _OP_MESSAGE:
        cid, _seq, log_time, _pub = struct.unpack_from("<HIQQ", body, 0)
        yield cid, log_time, bytes(body[22:])
    elif op == _OP_CHUNK:
        _s, _e, usize, crc = struct.unpack_from("<QQQI", body, 0)
        comp, p = _str(body, 28)
        (csize,) = struct.unpack_from("<Q", body, p)
        raw = _decompress(bytes(body[p + 8 : p + 8 + csize]), comp, usize)
        if len(raw) != usize or (crc and zlib.crc32(raw) != crc):
            raise ValueError("chunk size or CRC mismatch")
        for iop, ibody in _records(memoryview(raw)):
            yield from _handle(iop, ibody, st)


def scan_mcap(path: Path, st: ScanState) -> Iterator[tuple[int, int, bytes]]:
    """Yield (channel_id, log_time_ns, cdr_bytes) of every complete message, in file order.

    ``st`` is filled as the scan goes (schemas and channels precede their messages in MCAP).
    """
    st.file_bytes = path.stat().st_size
    with path.open("rb") as f:
        if f.read(8) != MAGIC:
            st.stop_reason = "not an MCAP file (bad magic)"
            return
        st.good_bytes = 8
        yield from _scan_body(f, st)


def _scan_body(f: BinaryIO, st: ScanState) -> Iterator[tuple[int, int, bytes]]:
    while True:
        head = f.read(9)
        if len(head) == 0:
            st.stop_reason = "file ends without an MCAP footer"
            return
        if len(head) < 9:
            st.stop_reason = "file ends inside a record header"
            return
        op = head[0]
        (n,) = struct.unpack_from("<Q", head, 1)
        if op in (_OP_FOOTER, _OP_DATA_END):
            st.good_bytes = st.file_bytes
            return
        body = f.read(n)
        if len(body) < n:
            st.stop_reason = f"file ends inside a record (opcode 0x{op:02x}, {n} bytes)"
            return
        try:
            msgs = list(_handle(op, memoryview(body), st))
        except (ValueError, struct.error, UnicodeDecodeError) as exc:
            st.stop_reason = f"corrupt record at byte {st.good_bytes}: {exc}"
            return
        st.good_bytes += 9 + n
        yield from msgs
