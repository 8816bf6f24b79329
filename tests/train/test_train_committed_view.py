"""Training readers see only committed episodes of a store whose writer was SIGKILLed.

Before the fix, ``prepare_data`` failed with ``cannot reshape array of size 44 into shape
(15,newaxis)``: it read the raw arrays, the killed writer's uncommitted rows included.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from jepa_wm.data.store import TrajectoryStore
from tests.data.conftest import make_episode
from tests.data.test_data_crash import _run_and_kill


@pytest.fixture
def killed_store(tmp_path: Path) -> tuple[Path, list[dict[str, np.ndarray]]]:
    """3 committed episodes of 5 steps plus rows of a 4th the kill left past the end."""
    path = tmp_path / "killed.zarr"
    _run_and_kill(path, "mid_data")
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = TrajectoryStore.open(path)
    assert raw.array("action").shape[0] > raw.num_steps == 15  # the case under test
    return path, [make_episode(rng, 5) for _ in range(3)]


def test_prepare_data_uses_committed_rows_only(killed_store) -> None:
    from jepa_wm.train.data import prepare_data

    path, episodes = killed_store
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = prepare_data([path], clip_len=2, frame_skip=1, val_fraction=0.34, seed=0)
    actions = np.concatenate([ep["action"] for ep in episodes]).astype(np.float64)
    np.testing.assert_allclose(data.stats["action"]["mean"], actions.mean(0), rtol=1e-6)
    np.testing.assert_allclose(data.stats["action"]["std"], actions.std(0), rtol=1e-6)


def test_latent_clips_hold_committed_rows_only(killed_store) -> None:
    from jepa_wm.data.clips import ClipDataset
    from jepa_wm.train.latent_cache import LatentClips

    path, episodes = killed_store
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clips = ClipDataset([path], clip_len=2)
        latents = LatentClips(clips, [torch.zeros(15, 1, 1)])
    assert len(latents.states[0]) == len(latents.actions[0]) == 15
    np.testing.assert_array_equal(latents.actions[0][10:], episodes[2]["action"])
    item = latents[len(latents) - 1]
    np.testing.assert_array_equal(item["state"].numpy(), episodes[2]["state"][3:5])


def test_store_reads_in_chunks_stop_at_the_committed_end(killed_store) -> None:
    path, episodes = killed_store
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = TrajectoryStore.open(path)
    np.testing.assert_array_equal(st.read("rgb", 10, 15), episodes[2]["rgb"])
    assert st.read("state", 15, 15).shape == (0, 3)
    with pytest.raises(IndexError, match="15 committed steps"):
        st.read("rgb", 10, 16)  # the killed writer's rows are there, but not committed
