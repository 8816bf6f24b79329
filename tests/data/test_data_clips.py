"""ClipDataset and split_episodes: shapes, skip sums, episode boundaries, workers, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from jepa_wm.data.clips import ClipDataset, split_episodes
from jepa_wm.data.store import TrajectoryStore
from jepa_wm.errors import ConfigError, StoreError
from tests.data.conftest import write_store


def test_clip_shapes_and_skip_sum(small_store) -> None:
    path, eps = small_store  # lengths 6, 3, 9
    ds = ClipDataset([path], clip_len=3, frame_skip=2)  # a clip spans 5 frames
    assert len(ds) == (6 - 4) + 0 + (9 - 4)
    seen = set()
    for i in range(len(ds)):
        item = ds[i]
        ep, f = int(item["episode"]), int(item["frame"])
        seen.add(ep)
        src = eps[ep]
        assert item["rgb"].dtype == torch.uint8 and tuple(item["rgb"].shape) == (3, 8, 8, 3)
        np.testing.assert_array_equal(item["rgb"].numpy(), src["rgb"][f : f + 5 : 2])
        np.testing.assert_array_equal(item["state"].numpy(), src["state"][f : f + 5 : 2])
        want = src["action"][f : f + 4].reshape(2, 2, -1).sum(axis=1)
        assert item["action"].dtype == torch.float32 and tuple(item["action"].shape) == (2, 2)
        np.testing.assert_allclose(item["action"].numpy(), want, rtol=1e-6)
        assert f + 5 <= len(src["rgb"])  # never crosses into the next episode
    assert seen == {0, 2}  # episode 1 (3 frames) is too short


def test_episode_selection_multi_store_and_camera(tmp_path: Path) -> None:
    a, b = tmp_path / "a.zarr", tmp_path / "b.zarr"
    write_store(a, [4, 4, 4])
    write_store(b, [5], seed=1)
    ds = ClipDataset([a, b], clip_len=4, episodes=[np.array([1]), np.array([0])])
    stores = {(int(ds[i]["store"]), int(ds[i]["episode"])) for i in range(len(ds))}
    assert stores == {(0, 1), (1, 0)} and len(ds) == 1 + 2
    with pytest.raises(StoreError, match="no data/rgb_wrist"):
        ClipDataset([a], clip_len=2, rgb_keys=("rgb", "rgb_wrist"))
    write_store(tmp_path / "c.zarr", [5], size=16)
    with pytest.raises(StoreError, match="per-step shape"):
        ClipDataset([a, tmp_path / "c.zarr"], clip_len=2)


def test_dataloader_workers(small_store) -> None:
    path, eps = small_store
    ds = ClipDataset([path], clip_len=2, frame_skip=1)
    loader = DataLoader(
        ds, batch_size=4, shuffle=True, num_workers=2, generator=torch.Generator().manual_seed(0)
    )
    n = 0
    for batch in loader:
        assert batch["rgb"].shape[1:] == (2, 8, 8, 3)
        for r, e, f in zip(batch["rgb"], batch["episode"], batch["frame"], strict=True):
            np.testing.assert_array_equal(r.numpy(), eps[int(e)]["rgb"][int(f) : int(f) + 2])
        n += len(batch["rgb"])
    assert n == len(ds) == 5 + 2 + 8


def test_clip_errors(tmp_path: Path, small_store) -> None:
    path, _ = small_store
    with pytest.raises(
        StoreError, match="no episode is long enough.*longest selected episode has 9"
    ):
        ClipDataset([path], clip_len=5, frame_skip=3)
    empty = tmp_path / "empty.zarr"
    TrajectoryStore.create(empty, fps=20, source={})
    with pytest.raises(StoreError, match="store is empty"):
        ClipDataset([empty], clip_len=2)
    with pytest.raises(ConfigError):
        ClipDataset([path], clip_len=0)
    with pytest.raises(ConfigError, match="out of range"):
        ClipDataset([path], clip_len=2, episodes=[np.array([7])])


def test_corrupt_frame_in_clip(small_store) -> None:
    path, _ = small_store
    chunk = path / "data" / "rgb" / "c" / "7" / "0" / "0" / "0"  # episode 1, frame 1
    chunk.write_bytes(b"garbage")
    ds = ClipDataset([path], clip_len=3, frame_skip=1)
    bad = [i for i in range(len(ds)) if int(ds.locate(i)[1]) == 1]
    with pytest.raises(StoreError, match="data/rgb is corrupt in episode 1"):
        ds[bad[0]]


def test_split_episodes() -> None:
    train, val = split_episodes(20, val_fraction=0.25, seed=3)
    assert len(val) == 5 and len(train) == 15
    assert set(train.tolist()).isdisjoint(val.tolist())
    assert sorted([*train, *val]) == list(range(20))
    assert train.dtype == np.int64
    t2, v2 = split_episodes(20, val_fraction=0.25, seed=3)
    assert (v2 == val).all()
    assert len(split_episodes(2, 0.01)[1]) == 1 and len(split_episodes(1, 0.5)[0]) == 1
    assert len(split_episodes(5, 0.0)[1]) == 0


def test_frame_reader_v2_and_fallback(tmp_path: Path) -> None:
    import zarr

    from jepa_wm.data.export import export_store
    from jepa_wm.data.frames import FrameReader

    src = tmp_path / "v3.zarr"
    write_store(src, [6, 5])
    export_store(src, tmp_path / "v2.zarr", zarr_format=2)
    a, b = (ClipDataset([p], clip_len=3, frame_skip=2) for p in (src, tmp_path / "v2.zarr"))
    for i in range(len(a)):
        for key in ("rgb", "state", "action"):
            assert torch.equal(a[i][key], b[i][key])
    readers = [
        FrameReader(TrajectoryStore.open(p).array("rgb"), p) for p in (src, tmp_path / "v2.zarr")
    ]
    assert all(r.fast for r in readers)
    # A layout this project does not write (two frames per chunk) goes through zarr itself.
    arr = zarr.create_array(
        str(tmp_path / "other.zarr"), shape=(6, 4, 4, 3), chunks=(2, 4, 4, 3), dtype="uint8"
    )
    arr[:] = np.arange(6 * 48, dtype=np.uint8).reshape(6, 4, 4, 3)
    slow = FrameReader(arr, tmp_path / "other.zarr")
    assert not slow.fast
    np.testing.assert_array_equal(slow.read(np.array([1, 4])), arr[:][[1, 4]])
