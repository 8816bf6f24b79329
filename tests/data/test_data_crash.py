"""Crash safety for real: a writer process is SIGKILLed while it appends an episode."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from jepa_wm.data.store import TrajectoryStore
from tests.data.conftest import make_episode

ROOT = Path(__file__).resolve().parents[2]

# The child writes 3 episodes, then stops inside episode 3 at the point named by argv[2]
# ("mid_data": after the first data array, "mid_commit": after episode_ends was resized but
# before the new end is written, "huge": anywhere inside a long rgb write) and waits to be killed.
CHILD = r"""
import sys, time
import numpy as np
from jepa_wm.data.store import TrajectoryStore
from tests.data.conftest import make_episode

path, where = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
st = TrajectoryStore.create(path, fps=20.0, source={})
for _ in range(3):
    st.add_episode(make_episode(rng, 5))

def stop():
    print("KILL-ME", flush=True)
    time.sleep(60)

if where == "mid_data":
    original = TrajectoryStore._write_key
    def write_key(self, key, value, start):
        original(self, key, value, start)
        stop()
    TrajectoryStore._write_key = write_key
elif where == "mid_commit":
    def commit(self, end):
        self._ends_array.resize((self.num_episodes + 1,))
        stop()
    TrajectoryStore._commit = commit
big = make_episode(rng, 1500 if where == "huge" else 7)
if where == "huge":
    print("KILL-ME", flush=True)
st.add_episode(big)
print("FINISHED", flush=True)
"""


def _run_and_kill(path: Path, where: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), where],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "KILL-ME", proc.stderr.read()
        if where == "huge":
            time.sleep(0.2)  # let it get into the rgb chunks
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("where", ["mid_data", "mid_commit", "huge"])
def test_sigkill_mid_episode(tmp_path: Path, where: str) -> None:
    path = tmp_path / "crash.zarr"
    _run_and_kill(path, where)
    rng = np.random.default_rng(0)
    expected = [make_episode(rng, 5) for _ in range(3)]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        st = TrajectoryStore.open(path, mode="r")
    assert st.num_episodes == 3 and st.num_steps == 15
    for i, ep in enumerate(expected):
        got = st.episode(i)
        for key in ep:
            np.testing.assert_array_equal(got[key], ep[key])
    if where != "huge":  # the huge write may be killed before any file of episode 3 exists
        assert any("interrupted" in str(w.message) for w in caught)

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        st = TrajectoryStore.open(path, mode="a")
    assert st.array("rgb").shape[0] == 15 and not list(path.rglob("*.partial"))
    assert st.add_episode(make_episode(rng, 4)) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # repaired: no warning any more
        st = TrajectoryStore.open(path)
    assert st.episode_ends.tolist() == [5, 10, 15, 19]
    np.testing.assert_array_equal(st.episode(2)["rgb"], expected[2]["rgb"])
