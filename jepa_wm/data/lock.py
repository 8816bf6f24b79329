"""One writer per trajectory store: an exclusive ``filelock`` lock beside the store.

Usage::

    lock = WriterLock(Path("demo.zarr"))     # lock file demo.zarr.lock
    lock.acquire()                           # StoreError naming the holder if another has it
    ...                                      # create / repair / append
    lock.release()

The lock is an OS lock (``flock``) on ``<store>.lock``: the kernel drops it when its holder
exits or is killed, so a crashed writer never leaves a stale lock behind. The file lives beside
the store (not inside it) so that two processes creating the same new store also contend on it.
Its text says who holds it (pid, host, command, since when): the refusal quotes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from pathlib import Path

from filelock import FileLock, Timeout

from jepa_wm.errors import StoreError


def lock_path(store: Path) -> Path:
    """The lock file of ``store``: ``<store>.lock`` in the same folder."""
    return store.with_name(store.name + ".lock")


def _command() -> str:
    argv = list(getattr(sys, "orig_argv", None) or sys.argv or [""])
    return " ".join(" ".join([Path(argv[0]).name, *argv[1:]]).split())


def _holder_text() -> str:
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": _command()[:200],
        "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return json.dumps(info)


def describe_holder(path: Path) -> str:
    """'pid 123 on host h (jepa-wm collect ...) since ...' from a lock file, or a fallback."""
    try:
        info = json.loads(path.read_text())
        return (
            f"pid {info['pid']} on {info['host']} ({info['command'] or '?'}) since {info['since']}"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "an unknown process"


class WriterLock:
    """The exclusive writer lock of one store (not re-entrant: one holder per store)."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self.path = lock_path(store)
        # Not thread-local: a store may be closed (or garbage-collected) on another thread.
        self._lock = FileLock(str(self.path), timeout=0, thread_local=False)

    @property
    def held(self) -> bool:
        return bool(self._lock.is_locked)

    def acquire(self) -> None:
        """Take the lock now or raise StoreError (one line) naming the current holder."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire(timeout=0)
        except Timeout:
            raise StoreError(
                f"{self.store}: another writer holds this store: {describe_holder(self.path)} "
                f"(lock {self.path}); one writer at a time"
            ) from None
        except OSError as exc:
            raise StoreError(
                f"{self.store}: cannot take the writer lock {self.path}: {exc.strerror or exc}"
            ) from None
        # flock is on the inode: rewriting the text keeps it. A full disk must not stop the
        # lock itself; a refusal then names "an unknown process".
        with contextlib.suppress(OSError):
            self.path.write_text(_holder_text())

    def release(self) -> None:
        """Drop the lock (no-op when not held)."""
        if self._lock.is_locked:
            self._lock.release(force=True)
