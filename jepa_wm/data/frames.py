"""Fast reads of per-frame chunks of ``data/rgb*``, for clip loading.

zarr-python 3 spends ~0.3 ms of Python/async overhead per chunk, so an 8-frame clip through
``array[start:stop:skip]`` costs several ms while decoding it takes ~0.1 ms. For the layout this
project writes (a local directory store, one frame per chunk, Blosc or no compression, no
filters or sharding) ``FrameReader`` reads the chunk files named by zarr's own chunk-key
encoding and decompresses them with numcodecs' Blosc. Any other layout falls back to zarr.
The bench (``jepa-wm bench data``) measures both paths.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import zarr

from jepa_wm.data.location import is_url


class ChunkDecodeError(Exception):
    """A chunk file is truncated or corrupt (callers turn it into a StoreError with context)."""


def _key_template(array: zarr.Array, root: Path) -> tuple[str, str]:
    """Chunk path of frame i as prefix + str(i) + suffix, derived from zarr's own encoder."""
    zero = (0,) * (array.ndim - 1)
    encode = array.metadata.encode_chunk_key
    key = encode((7, *zero))
    head, sep, tail = key.partition("7")
    prefix, suffix = f"{root}{os.sep}{head}", tail
    for i in (0, 12345):  # the template must reproduce zarr's encoding exactly
        if f"{root}{os.sep}{encode((i, *zero))}" != f"{prefix}{i}{suffix}":
            raise ValueError(f"unexpected chunk key encoding {key!r}")
    return prefix, suffix


class FrameReader:
    """Reads frames ``idx`` of one uint8 [N,H,W,3] zarr array stored under ``store_root``."""

    def __init__(self, array: zarr.Array, store_root: Path) -> None:
        self.array = array
        self.frame_shape = tuple(array.shape[1:])
        self.dtype = np.dtype(array.dtype)
        self._decompress = None
        self._nbytes = int(np.prod(self.frame_shape, dtype=np.int64)) * self.dtype.itemsize
        self._fill = array.metadata.fill_value
        # chunk files can be read directly on a local disk only (a URL goes through zarr)
        self.fast = self._plan() and not is_url(store_root)
        if self.fast:
            try:
                self._prefix, self._suffix = _key_template(array, Path(store_root) / array.path)
            except ValueError:
                self.fast = False

    def _plan(self) -> bool:
        """True when this array's chunks can be read as files; sets the decompressor."""
        md = self.array.metadata
        if tuple(self.array.chunks) != (1, *self.frame_shape) or self.dtype != np.uint8:
            return False
        import numcodecs
        import numcodecs.blosc

        if md.zarr_format == 2:
            if md.filters or md.order != "C":
                return False
            comp = md.compressor
            if comp is not None and not isinstance(comp, numcodecs.Blosc):
                return False
            self._decompress = numcodecs.blosc.decompress if comp is not None else None
            return True
        from zarr.codecs import BloscCodec, BytesCodec

        codecs = list(md.codecs)
        if not codecs or not isinstance(codecs[0], BytesCodec):
            return False
        rest = codecs[1:]
        if len(rest) > 1 or (rest and not isinstance(rest[0], BloscCodec)):
            return False
        self._decompress = numcodecs.blosc.decompress if rest else None
        return True

    def _chunk_path(self, i: int) -> str:
        return f"{self._prefix}{i}{self._suffix}"

    def read(self, idx: np.ndarray) -> np.ndarray:
        """Frames ``idx`` (int [T]) -> uint8 [T,H,W,3]. Raises ChunkDecodeError on bad chunks."""
        idx = np.asarray(idx, dtype=np.int64)
        if not self.fast:
            try:
                return np.asarray(self.array.get_orthogonal_selection((idx,)))
            except Exception as exc:
                raise ChunkDecodeError(f"{type(exc).__name__}: {exc}") from None
        out = np.empty((len(idx), *self.frame_shape), dtype=self.dtype)
        for j, i in enumerate(idx.tolist()):
            try:
                raw = _read_file(self._chunk_path(i), self._nbytes + 4096)
            except FileNotFoundError:
                out[j] = self._fill  # zarr semantics: a chunk never written reads as fill value
                continue
            self._decode(raw, out[j], i)
        return out

    def _decode(self, raw: bytes, dest: np.ndarray, i: int) -> None:
        if self._decompress is None:
            if len(raw) != self._nbytes:
                raise ChunkDecodeError(
                    f"frame {i}: chunk holds {len(raw)} bytes, not {self._nbytes}"
                )
            dest[...] = np.frombuffer(raw, dtype=self.dtype).reshape(self.frame_shape)
            return
        try:
            # Blosc1's 16-byte header holds nbytes (offset 4) and cbytes (offset 12), both
            # uint32 little-endian: check them so a truncated or foreign chunk never half-decodes.
            nbytes, _, cbytes = struct.unpack_from("<III", raw, 4)
            if nbytes != self._nbytes or cbytes != len(raw):
                raise ValueError(
                    f"chunk header says {nbytes} bytes from {cbytes}, file has {len(raw)} bytes"
                )
            self._decompress(raw, memoryview(dest.reshape(-1)))
        except Exception as exc:
            raise ChunkDecodeError(f"frame {i}: {type(exc).__name__}: {exc}") from None


def _read_file(path: str, size_hint: int) -> bytes:
    """Whole file in as few syscalls as possible (no pathlib, no buffered reader)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        parts = [os.read(fd, size_hint)]
        while len(parts[-1]) == size_hint:  # rare: larger than expected, keep reading
            parts.append(os.read(fd, size_hint))
        return b"".join(parts) if len(parts) > 1 else parts[0]
    finally:
        os.close(fd)
