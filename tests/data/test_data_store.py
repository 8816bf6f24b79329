"""TrajectoryStore: round trips, metadata, validation of episodes and of stores on open."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from jepa_wm.data import keys as K
from jepa_wm.data.store import TrajectoryStore
from jepa_wm.errors import StoreError
from tests.data.conftest import make_episode, write_store


@pytest.mark.parametrize("zarr_format", [3, 2])
def test_round_trip(tmp_path: Path, zarr_format: int) -> None:
    path = tmp_path / "s.zarr"
    eps = write_store(path, [5, 1, 7], zarr_format=zarr_format)
    st = TrajectoryStore.open(path)
    assert st.zarr_format == zarr_format
    assert st.num_episodes == 3 and st.num_steps == 13
    assert st.episode_ends.tolist() == [5, 6, 13]
    assert st.episode_ends.dtype == np.int64
    assert st.keys == ["action", "rgb", "state", "timestamp"]
    for i, ep in enumerate(eps):
        got = st.episode(i)
        for key, value in ep.items():
            assert got[key].dtype == K.expected_dtype(key)
            np.testing.assert_array_equal(got[key], value)
    assert st.episode_slice(-1) == slice(6, 13)
    assert st.array("rgb").chunks == (1, 8, 8, 3)


def test_metadata_and_stats(tmp_path: Path) -> None:
    path = tmp_path / "s.zarr"
    st = TrajectoryStore.create(
        path,
        fps=10,
        source={"sim": "franka-reach"},
        feature_names={"state": ["a", "b", "c"]},
        cameras={"main": {"fx": 50.0}},
        units={"state": ["m", "m", "rad"]},
    )
    rng = np.random.default_rng(1)
    eps = [make_episode(rng, 40), make_episode(rng, 60)]
    for ep in eps:
        st.add_episode(ep)
    stats = st.compute_stats()
    st.update_attrs({"note": "hello"})
    attrs = TrajectoryStore.open(path).attrs
    assert attrs["format"] == K.FORMAT_NAME and attrs["format_version"] == K.FORMAT_VERSION
    assert attrs["fps"] == 10.0 and attrs["source"] == {"sim": "franka-reach"}
    assert attrs["cameras"]["main"]["fx"] == 50.0 and attrs["note"] == "hello"
    feat = attrs["features"]["state"]
    assert feat["names"] == ["a", "b", "c"] and feat["shape"] == [3] and feat["units"][2] == "rad"
    assert attrs["features"]["rgb"]["shape"] == [8, 8, 3]
    allstate = np.concatenate([e["state"] for e in eps])
    np.testing.assert_allclose(attrs["stats"]["state"]["mean"], allstate.mean(0), rtol=1e-5)
    np.testing.assert_allclose(
        stats["action"]["q99"],
        np.quantile(np.concatenate([e["action"] for e in eps]), 0.99, axis=0),
        rtol=1e-5,
    )
    assert set(stats["state"]) == {*K.STAT_NAMES, "count"}
    with pytest.raises(StoreError, match="reserved"):
        st.update_attrs({"format": "x"})
    st.add_episode(make_episode(rng, 3))  # stale stats must not survive an append
    assert TrajectoryStore.open(path).attrs["stats"] == {}


def test_extra_camera_and_append_mode(tmp_path: Path) -> None:
    path = tmp_path / "s.zarr"
    rng = np.random.default_rng(2)
    st = TrajectoryStore.create(path, fps=20, source={})
    ep = make_episode(rng, 4)
    ep["rgb_wrist"] = rng.integers(0, 256, (4, 8, 8, 3), dtype=np.uint8)
    st.add_episode(ep)
    st.close()  # one writer at a time
    st2 = TrajectoryStore.open(path, mode="a")
    assert st2.add_episode(dict(ep)) == 1
    with pytest.raises(StoreError, match="differ from the store's keys"):
        st2.add_episode(make_episode(rng, 4))  # no rgb_wrist
    with pytest.raises(StoreError, match="read-only"):
        TrajectoryStore.open(path).add_episode(ep)
    assert TrajectoryStore.open(path).num_episodes == 2


def _bad(ep: dict, **changes) -> dict:
    out = dict(ep)
    out.update(changes)
    return {k: v for k, v in out.items() if v is not None}


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda e: _bad(e, state=np.full((5, 3), np.nan, np.float32)), "NaN or inf"),
        (lambda e: _bad(e, action=e["action"][:4]), "different lengths"),
        (lambda e: _bad(e, rgb=e["rgb"].astype(np.float32)), "must be uint8"),
        (lambda e: _bad(e, rgb=e["rgb"][..., :1]), r"\[T,H,W,3\]"),
        (lambda e: _bad(e, state=e["state"][:, :2]), "per-step shape"),
        (lambda e: _bad(e, timestamp=None), "missing key"),
        (lambda e: _bad(e, depth=e["timestamp"]), "unknown key 'depth'"),
        (lambda e: _bad(e, state=np.array(["a"] * 5)[:, None].repeat(3, 1)), "numeric"),
    ],
)
def test_add_episode_refuses_bad_input(tmp_path: Path, change, message: str) -> None:
    path = tmp_path / "s.zarr"
    write_store(path, [5])
    st = TrajectoryStore.open(path, mode="a")
    ep = make_episode(np.random.default_rng(3), 5)
    with pytest.raises(StoreError, match=message):
        st.add_episode(change(ep))
    reopened = TrajectoryStore.open(path)
    assert reopened.num_episodes == 1 and reopened.array("rgb").shape[0] == 5


def test_create_refusals(tmp_path: Path) -> None:
    path = tmp_path / "s.zarr"
    write_store(path, [2])
    with pytest.raises(StoreError, match="already exists"):
        TrajectoryStore.create(path, fps=20, source={})
    folder = tmp_path / "precious"
    folder.mkdir()
    (folder / "thesis.txt").write_text("x")
    with pytest.raises(StoreError, match="refusing to overwrite"):
        TrajectoryStore.create(folder, fps=20, source={}, overwrite=True)
    assert (folder / "thesis.txt").exists()
    with pytest.raises(StoreError, match="fps"):
        TrajectoryStore.create(tmp_path / "n.zarr", fps=0, source={})
    assert TrajectoryStore.create(path, fps=5, source={}, overwrite=True).num_episodes == 0


def test_empty_store_opens(tmp_path: Path) -> None:
    path = tmp_path / "e.zarr"
    TrajectoryStore.create(path, fps=20, source={})
    st = TrajectoryStore.open(path)
    assert st.num_episodes == 0 and st.num_steps == 0 and st.keys == []


def test_open_errors(tmp_path: Path) -> None:
    import zarr

    with pytest.raises(StoreError, match="does not exist"):
        TrajectoryStore.open(tmp_path / "missing")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(StoreError, match="not a trajectory store"):
        TrajectoryStore.open(tmp_path / "file.txt")
    with pytest.raises(StoreError, match="not a Zarr store"):
        TrajectoryStore.open(tmp_path)
    zarr.open_group(str(tmp_path / "foreign.zarr"), mode="w").create_group("data")
    with pytest.raises(StoreError, match="not a jepa-wm trajectory store"):
        TrajectoryStore.open(tmp_path / "foreign.zarr")


def test_open_detects_inconsistency(tmp_path: Path) -> None:
    import zarr

    path = tmp_path / "s.zarr"
    write_store(path, [4, 4])
    zarr.open_array(str(path / "meta" / "episode_ends"), mode="r+")[:] = [4, 12]
    with pytest.raises(StoreError, match="inconsistent lengths"):
        TrajectoryStore.open(path)
    zarr.open_array(str(path / "meta" / "episode_ends"), mode="r+")[:] = [5, 3]
    with pytest.raises(StoreError, match="not increasing at episode 1"):
        TrajectoryStore.open(path)


def test_interrupted_commit_is_ignored_then_repaired(tmp_path: Path) -> None:
    import zarr

    path = tmp_path / "s.zarr"
    write_store(path, [4, 4])
    ends = zarr.open_array(str(path / "meta" / "episode_ends"), mode="r+")
    ends.resize((3,))  # killed between the resize and the write of the new end
    with pytest.warns(UserWarning, match="interrupted"):
        assert TrajectoryStore.open(path).num_episodes == 2
    with pytest.warns(UserWarning, match="truncating"):
        st = TrajectoryStore.open(path, mode="a")
    assert st.add_episode(make_episode(np.random.default_rng(0), 2)) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert TrajectoryStore.open(path).episode_ends.tolist() == [4, 8, 10]


def test_corrupt_chunk_names_key_and_episode(tmp_path: Path) -> None:
    path = tmp_path / "s.zarr"
    write_store(path, [3, 3])
    chunk = path / "data" / "rgb" / "c" / "4" / "0" / "0" / "0"
    chunk.write_bytes(chunk.read_bytes()[:10])
    st = TrajectoryStore.open(path)
    np.testing.assert_array_equal(st.episode(0)["rgb"].shape, (3, 8, 8, 3))
    with pytest.raises(StoreError, match=r"data/rgb is corrupt in episode 1"):
        st.episode(1)
