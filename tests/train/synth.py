"""Tiny synthetic trajectory stores for model/training tests: a square moved by its actions.

state = (x, y) of the square in [0, 1]; action = (dx, dy) applied after the frame; the image
is a 32 px frame with a bright square at the state's position, so the dynamics are learnable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def render(pos: np.ndarray, size: int = 32) -> np.ndarray:
    """uint8 [size, size, 3] frame with a 6 px square at pos (x, y) in [0, 1]."""
    img = np.full((size, size, 3), 30, dtype=np.uint8)
    cx, cy = (pos * (size - 6)).astype(int)
    img[cy : cy + 6, cx : cx + 6] = (250, 200, 40)
    return img


def make_store(
    path: Path,
    episodes: int = 6,
    length: int = 12,
    size: int = 32,
    seed: int = 0,
    wrist: bool = False,
) -> Path:
    """Create a store of ``episodes`` random-walk episodes of ``length`` steps; ``wrist`` adds a
    second view ``rgb_wrist`` (the same scene mirrored, with its own background)."""
    from jepa_wm.data.store import TrajectoryStore

    rng = np.random.default_rng(seed)
    st = TrajectoryStore.create(path, fps=10.0, source={"kind": "synthetic"})
    for _ in range(episodes):
        pos = rng.uniform(0.2, 0.8, 2)
        rgb, state, action = [], [], []
        for _ in range(length):
            a = rng.uniform(-0.08, 0.08, 2)
            rgb.append(render(pos, size))
            state.append(pos.copy())
            action.append(a)
            pos = np.clip(pos + a, 0.0, 1.0)
        episode = {
            "rgb": np.stack(rgb),
            "state": np.asarray(state, np.float32),
            "action": np.asarray(action, np.float32),
            "timestamp": np.arange(length, dtype=np.float64) / 10.0,
        }
        if wrist:
            mirrored = episode["rgb"][:, :, ::-1].copy()
            mirrored[mirrored == 30] = 90
            episode["rgb_wrist"] = mirrored
        st.add_episode(episode)
    return path
