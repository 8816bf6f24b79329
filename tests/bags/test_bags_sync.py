"""Time-sync kernels: the fast paths equal the plain-Python reference, and the reference is right."""

from __future__ import annotations

import numpy as np
import pytest

from jepa_wm.bags import sync


def _data(seed: int, n: int = 400, m: int = 150, ties: bool = False):
    rng = np.random.default_rng(seed)
    step = rng.choice([0.01, 0.02], size=n) if ties else rng.uniform(0.001, 0.03, n)
    ts = np.cumsum(step)
    vals = rng.normal(size=(n, 3))
    q = np.sort(rng.uniform(-0.1, ts[-1] + 0.1, m))
    if ties:  # queries exactly between or on samples
        q = np.sort(np.concatenate([ts[:20], (ts[:-1] + ts[1:])[:20] / 2, q]))
    return ts, vals, q


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("ties", [False, True])
def test_sample_kernels_match_reference(seed: int, ties: bool) -> None:
    ts, vals, q = _data(seed, ties=ties)
    args = (ts.tolist(), vals.tolist(), q.tolist())
    for name, tol in (
        ("sample_nearest", 0.006),
        ("sample_linear", 0.02),
        ("sample_previous", 0.05),
        ("sample_next", 0.03),
    ):
        ref_v, ref_ok = getattr(sync, name + "_ref")(*args, tol)
        np_v, np_ok = getattr(sync, name + "_np")(ts, vals, q, tol)
        assert np.array_equal(np.asarray(ref_ok), np_ok), name
        assert np.array_equal(np.asarray(ref_v), np_v), name
        assert 0 < np_ok.sum() < len(q), name  # both outcomes exercised
    nb_v, nb_ok = sync.sample_nearest_nb(ts, vals, q, 0.006)
    assert np.array_equal(nb_ok, sync.sample_nearest_np(ts, vals, q, 0.006)[1])
    assert np.array_equal(nb_v, sync.sample_nearest_np(ts, vals, q, 0.006)[0])


@pytest.mark.parametrize("seed", [0, 3])
def test_select_frames_matches_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cam = np.cumsum(rng.uniform(0.02, 0.06, 300))  # jittery, with gaps
    ref = sync.select_frames_ref(cam.tolist(), 0.1, 0.05)
    assert np.array_equal(sync.select_frames_np(cam, 0.1, 0.05), ref)
    assert np.array_equal(sync.select_frames_nb(cam, 0.1, 0.05), ref)
    kept = [i for i in ref if i >= 0]
    assert kept == sorted(set(kept))  # each frame used at most once, in order


def test_reference_on_known_stamps() -> None:
    # camera at 30 Hz resampled to 10 Hz: every third frame
    cam = [i / 30 for i in range(31)]
    assert [i for i in sync.select_frames_ref(cam, 0.1, 0.05) if i >= 0] == list(range(0, 31, 3))
    # a hole in the camera stream gives a missing slot, not a reused frame
    assert sync.select_frames_ref([0.0, 0.1, 0.32, 0.4], 0.1, 0.04) == [0, 1, -1, 2, 3]
    assert sync.select_frames_ref([0.0, 0.15], 0.1, 0.06) == [0, 1, -1]
    ts, vals = [0.0, 1.0, 2.0], [[0.0], [10.0], [20.0]]
    v, ok = sync.sample_linear_ref(ts, vals, [0.25, 1.0, 2.5], 1.0)
    assert ok == [True, True, False] and v[0] == [2.5] and v[1] == [10.0]
    v, ok = sync.sample_nearest_ref(ts, vals, [0.5, 1.4, 3.5], 0.5)
    assert ok == [True, True, False] and v[0] == [0.0] and v[1] == [10.0]  # tie -> earlier
    v, ok = sync.sample_previous_ref(ts, vals, [1.0, 1.5, 9.0], 0.6)
    assert ok == [False, True, False] and v[1] == [10.0]  # strictly before, max age
    v, ok = sync.sample_next_ref(ts, vals, [1.0, 1.5, 0.2], 0.6)
    assert ok == [True, True, False] and v[0] == [10.0] and v[1] == [20.0]
