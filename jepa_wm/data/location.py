"""Where a store lives: a local path or an fsspec URL (``s3://bucket/path.zarr``, ``gs://``...).

URLs go through fsspec, so credentials and endpoints come from the environment the way each
backend reads them (for S3: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_ENDPOINT_URL`` for a non-AWS endpoint, ...). A local path stays a ``Path`` and keeps
zarr's LocalStore (atomic file writes, the crash-safety guarantees of ``store.py``); on object
storage each chunk PUT is atomic and ``meta/episode_ends`` is still written last.

Usage::

    loc = as_location("s3://bucket/reach.zarr")   # str for URLs, Path otherwise
    zstore = zarr_store(loc, read_only=True)      # zarr.storage.FsspecStore or LocalStore
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jepa_wm.errors import StoreError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem
    from zarr.storage import FsspecStore, LocalStore

Location = Path | str  # a Path, or a URL string (never a Path: Path("s3://b") is "s3:/b")


def is_url(path: str | Path) -> bool:
    """True for ``scheme://...`` (``file://`` included), False for a plain path."""
    return isinstance(path, str) and "://" in path


def as_location(path: str | Path) -> Location:
    """A URL stays a string (trailing '/' dropped); anything else becomes a Path."""
    return path.rstrip("/") if is_url(path) else Path(path)


def _fs(url: str) -> tuple[AbstractFileSystem, str]:
    import fsspec

    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise StoreError(f"{url}: cannot open this URL: {exc}") from None


def zarr_store(path: Location, read_only: bool) -> LocalStore | FsspecStore:
    """The zarr store object for ``path``: LocalStore, or FsspecStore for a URL."""
    from zarr.storage import FsspecStore, LocalStore

    if not is_url(path):
        return LocalStore(path, read_only=read_only)
    try:
        return FsspecStore.from_url(str(path), read_only=read_only)
    except (ImportError, ValueError, TypeError) as exc:
        raise StoreError(f"{path}: cannot open this URL: {exc}") from None


def remote_kind(url: str) -> str:
    """ "store" (a zarr group is there), "empty" (nothing there) or "other" (foreign files)."""
    fs, root = _fs(url)
    if fs.exists(f"{root}/zarr.json") or fs.exists(f"{root}/.zgroup"):
        return "store"
    return "other" if fs.exists(root) and fs.ls(root) else "empty"


def remove_remote(url: str) -> None:
    """Delete the store under ``url`` (callers check it is a store first)."""
    fs, root = _fs(url)
    fs.rm(root, recursive=True)


def remote_size(url: str) -> int:
    """Bytes stored under ``url``."""
    fs, root = _fs(url)
    return int(fs.du(root))


def exists(path: Location) -> bool:
    """Whether anything is at ``path`` (a local path, or objects under a URL)."""
    return remote_kind(path) != "empty" if is_url(path) else Path(path).exists()


def remove_store(path: Location) -> None:
    """Best-effort removal of a store that a failed write left behind."""
    import contextlib
    import shutil

    if not is_url(path):
        shutil.rmtree(path, ignore_errors=True)
        return
    with contextlib.suppress(OSError):  # best effort: the caller is raising the real error
        remove_remote(str(path))
