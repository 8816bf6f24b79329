"""One writer per store, stale consolidated metadata, and I/O errors while appending.

Writers run as real processes where the case is about processes (a lock held by another pid,
a file-size limit set by the kernel); the full disk is a real, tiny tmpfs where mounting is
allowed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import zarr

from jepa_wm.data.store import TrajectoryStore
from jepa_wm.errors import StoreError
from tests.data.conftest import make_episode, write_store

ROOT = Path(__file__).resolve().parents[2]

# Opens (or creates) the store for writing, appends one episode, says READY and waits.
HOLDER = r"""
import sys, time
import numpy as np
from pathlib import Path
from jepa_wm.data.store import TrajectoryStore
from tests.data.conftest import make_episode

path = Path(sys.argv[1])
st = TrajectoryStore.open(path, "a") if path.exists() else TrajectoryStore.create(
    path, fps=20.0, source={})
st.add_episode(make_episode(np.random.default_rng(7), 4))
print("READY", flush=True)
time.sleep(60)
"""


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")


@pytest.fixture
def holder(tmp_path: Path):
    """A second process holding the writer lock of tmp_path/s.zarr; yields (path, proc)."""
    path = tmp_path / "s.zarr"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=_env(),
    )
    try:
        assert proc.stdout.readline().strip() == "READY", proc.stderr.read()
        yield path, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def test_second_writer_is_refused_naming_the_holder(holder) -> None:
    path, proc = holder
    for attempt in (
        lambda: TrajectoryStore.open(path, mode="a"),
        lambda: TrajectoryStore.create(path, fps=20.0, source={}, overwrite=True),
    ):
        with pytest.raises(StoreError, match=rf"another writer holds this store: pid {proc.pid}"):
            attempt()
    # Readers are not blocked and see the holder's committed episode.
    assert TrajectoryStore.open(path).num_episodes == 1


def test_second_collect_exits_1_with_one_line(holder) -> None:
    path, proc = holder
    out = subprocess.run(
        [sys.executable, "-m", "jepa_wm.cli.main", "collect", "--env", "husky-nav",
         "--episodes", "1", "--out", str(path), "--max-steps", "3", "--json"],
        capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=120,
    )  # fmt: skip
    assert out.returncode == 1, out.stderr
    lines = [x for x in out.stderr.strip().splitlines() if "pybullet build time" not in x]
    assert len(lines) == 1 and f"pid {proc.pid}" in lines[0], out.stderr
    assert TrajectoryStore.open(path).num_episodes == 1  # the holder's store is untouched


def test_lock_dies_with_its_holder(holder) -> None:
    path, proc = holder
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    st = TrajectoryStore.open(path, mode="a")  # the kernel dropped the flock
    assert st.add_episode(make_episode(np.random.default_rng(1), 3)) == 1


def test_in_process_writers_take_turns(tmp_path: Path) -> None:
    path = tmp_path / "s.zarr"
    write_store(path, [3])
    first = TrajectoryStore.open(path, mode="a")
    with pytest.raises(StoreError, match="another writer"):
        TrajectoryStore.open(path, mode="a")
    first.close()
    with pytest.raises(StoreError, match="closed"):
        first.add_episode(make_episode(np.random.default_rng(0), 3))
    with TrajectoryStore.open(path, mode="a") as second:
        assert second.add_episode(make_episode(np.random.default_rng(0), 3)) == 1


@pytest.mark.parametrize("zarr_format", [3, 2])
def test_stale_consolidated_metadata_is_never_trusted(tmp_path: Path, zarr_format: int) -> None:
    path = tmp_path / "s.zarr"
    write_store(path, [4, 4], zarr_format=zarr_format)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zarr.consolidate_metadata(str(path), zarr_format=zarr_format)  # "another tool"
    rng = np.random.default_rng(5)
    new = [make_episode(rng, 5), make_episode(rng, 6)]
    for ep in new:
        with TrajectoryStore.open(path, mode="a") as st:
            st.add_episode(ep)
    st = TrajectoryStore.open(path)
    assert st.episode_ends.tolist() == [4, 8, 13, 19]
    for i, ep in enumerate(new, start=2):
        np.testing.assert_array_equal(st.episode(i)["rgb"], ep["rgb"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        consolidated = zarr.open_consolidated(str(path), zarr_format=zarr_format)
    assert consolidated["data/rgb"].shape[0] == 19  # the other tool's copy was refreshed


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A 300 KiB tmpfs (needs mount rights: root in a container or CI runner)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mnt)],
                          capture_output=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def _fill_until_error(path: Path, size: int) -> tuple[StoreError, list[dict[str, np.ndarray]]]:
    rng = np.random.default_rng(0)
    written = []
    st = TrajectoryStore.create(path, fps=20.0, source={})
    for _ in range(200):
        ep = make_episode(rng, 20, size=size)
        try:
            st.add_episode(ep)
        except StoreError as exc:
            st.close()
            return exc, written
        written.append(ep)
    raise AssertionError("the disk never filled up")


def _assert_as_before(path: Path, written: list[dict[str, np.ndarray]]) -> None:
    st = TrajectoryStore.open(path)
    n = len(written)
    assert st.num_episodes == n and st.array("rgb").shape[0] == 20 * n
    np.testing.assert_array_equal(st.episode(n - 1)["state"], written[-1]["state"])
    assert not list(path.rglob("*.partial"))


def test_disk_full_is_one_line_and_rolled_back(tiny_disk: Path) -> None:
    path = tiny_disk / "s.zarr"
    exc, written = _fill_until_error(path, size=32)
    msg = str(exc)
    assert "\n" not in msg and "No space left on device (errno 28)" in msg
    assert f"keeps its {len(written)} earlier episodes unchanged" in msg
    _assert_as_before(path, written)


# The same kind of failure from another cause: the kernel's per-process file size limit (EFBIG).
FSIZE_CHILD = r"""
import resource, signal, sys
from pathlib import Path
from tests.data.test_data_writers import _fill_until_error
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))
exc, written = _fill_until_error(Path(sys.argv[1]), size=40)
print(len(written))
print(exc)
"""


def test_file_too_large_is_one_line_and_rolled_back(tmp_path: Path) -> None:
    path = tmp_path / "s.zarr"
    out = subprocess.run(
        [sys.executable, "-c", FSIZE_CHILD, str(path)],
        capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    n_line, msg = out.stdout.strip().splitlines()
    assert "File too large (errno 27)" in msg and "episode 0 not written" in msg
    st = TrajectoryStore.open(path)
    assert int(n_line) == 0 and st.num_episodes == 0 and st.keys == []
    assert not list(path.rglob("*.partial"))
