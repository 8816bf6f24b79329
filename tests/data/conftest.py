"""Fixtures for the data-layer tests: small synthetic episodes and stores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jepa_wm.data.store import TrajectoryStore


def make_episode(
    rng: np.random.Generator, length: int, size: int = 8, state_dim: int = 3, action_dim: int = 2
) -> dict[str, np.ndarray]:
    """One synthetic episode: rgb uint8 [T,size,size,3], state [T,S], action [T,A], timestamp [T]."""
    return {
        "rgb": rng.integers(0, 256, (length, size, size, 3), dtype=np.uint8),
        "state": rng.normal(size=(length, state_dim)).astype(np.float32),
        "action": rng.normal(size=(length, action_dim)).astype(np.float32),
        "timestamp": np.arange(length, dtype=np.float64) / 20.0,
    }


def write_store(
    path: Path, lengths: list[int], *, zarr_format: int = 3, seed: int = 0, **kw
) -> list[dict[str, np.ndarray]]:
    """Create a store at ``path`` holding episodes of the given lengths; returns them."""
    rng = np.random.default_rng(seed)
    st = TrajectoryStore.create(path, fps=20.0, source={"test": True}, zarr_format=zarr_format)
    episodes = [make_episode(rng, n, **kw) for n in lengths]
    for ep in episodes:
        st.add_episode(ep)
    return episodes


@pytest.fixture
def small_store(tmp_path: Path) -> tuple[Path, list[dict[str, np.ndarray]]]:
    path = tmp_path / "small.zarr"
    return path, write_store(path, [6, 3, 9])
