"""Action ceilings: regressors of a_t from the next state, the latents and the frame pairs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from jepa_wm.app.action_ceilings import action_ceilings, load_transitions, pixel_probe
from jepa_wm.cli.main import main
from jepa_wm.errors import StoreError
from jepa_wm.train.config import load_train_config
from jepa_wm.train.trainer import train
from tests.train.synth import make_store

LOW, HIGH = [-0.08, -0.08], [0.08, 0.08]


@pytest.fixture(scope="module")
def square_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 episodes of the moving square: the next state is the state plus the action."""
    return make_store(tmp_path_factory.mktemp("ceil") / "sq.zarr", episodes=40, length=12)


def _load(*paths: Path, frames: bool = False, val_fraction: float = 0.2):
    """Transitions of ``paths`` with a ``val_fraction`` of each store's episodes held out."""
    from jepa_wm.data.clips import split_episodes
    from jepa_wm.data.store import TrajectoryStore

    held = [
        split_episodes(TrajectoryStore.open(p).num_episodes, val_fraction, seed=0)[1] for p in paths
    ]
    return load_transitions([str(p) for p in paths], held, frames=frames)


def _blind_store(path: Path, episodes: int = 20, length: int = 10) -> Path:
    """States and frames that do not depend on the actions."""
    from jepa_wm.data.store import TrajectoryStore

    rng = np.random.default_rng(1)
    st = TrajectoryStore.create(path, fps=10.0, source={"kind": "synthetic"})
    for _ in range(episodes):
        st.add_episode(
            {
                "rgb": rng.integers(0, 255, (length, 16, 16, 3), dtype=np.uint8),
                "state": rng.uniform(0, 1, (length, 2)).astype(np.float32),
                "action": rng.uniform(-0.08, 0.08, (length, 2)).astype(np.float32),
                "timestamp": np.arange(length, dtype=np.float64) / 10.0,
            }
        )
    return path


def test_transitions_follow_the_episode_split(square_store: Path) -> None:
    data = _load(square_store)
    assert len(data.t) == 40 * 11 and data.frames is None and data.skipped == 0
    # a transition never crosses into the next episode, and held out = whole episodes
    assert set(np.diff(data.t)) <= {1, 2}
    for e in np.unique(data.episode):
        assert len(set(data.held_out[data.episode == e])) == 1
    assert data.held_out.sum() == 8 * 11


def test_proprio_ceiling_reads_an_exact_state_change(square_store: Path, tmp_path: Path) -> None:
    exact = action_ceilings(_load(square_store), LOW, HIGH)
    assert exact["proprio"]["error_ratio_vs_random"] < 0.1  # s_{t+1} - s_t is a_t, bar clipping
    blind = action_ceilings(_load(_blind_store(tmp_path / "b.zarr")), LOW, HIGH)
    assert blind["proprio"]["error_ratio_vs_random"] > 0.6
    assert "latent_probe" not in blind and "pixel_probe" not in blind


def test_pixel_probe_learns_the_square_motion(square_store: Path) -> None:
    data = _load(square_store, frames=True)
    pred, info = pixel_probe(data, np.array(LOW), np.array(HIGH), seconds=6.0)
    true = data.actions[data.t[data.held_out]]
    rand = np.random.default_rng(0).uniform(LOW, HIGH, size=true.shape)
    ratio = np.linalg.norm(pred - true, axis=1).mean() / np.linalg.norm(rand - true, axis=1).mean()
    assert ratio < 0.6, (ratio, info)  # 0.45 measured; predicting the mean action: 0.75
    assert info["steps"] > 0 and pred.shape == true.shape
    assert (pred >= np.array(LOW) - 1e-9).all() and (pred <= np.array(HIGH) + 1e-9).all()


def test_eval_model_reports_ceilings(
    square_store: Path, fast_cfg: Path, tmp_path: Path, capsys
) -> None:
    train(load_train_config(fast_cfg, {"steps": 3}), [square_store], tmp_path / "r", progress=False)
    capsys.readouterr()
    args = ["eval-model", "--checkpoint", str(tmp_path / "r"), "--data", str(square_store)]
    rc = main(
        [*args, "--transitions", "0", "--max-clips", "8", "--pixel-probe-seconds", "1", "--json"]
    )
    assert rc == 0
    ceil = json.loads(capsys.readouterr().out)["action_ceilings"]
    assert {"proprio", "latent_probe", "pixel_probe"} <= set(ceil)
    lo, hi = ceil["latent_probe"]["error_ratio_ci95"]
    assert lo <= ceil["latent_probe"]["error_ratio_vs_random"] <= hi
    assert main([*args, "--pixel-probe-seconds", "-1"]) == 1
    assert "pixel-probe-seconds" in capsys.readouterr().err


def test_ceilings_need_training_and_held_out_episodes(square_store: Path) -> None:
    data = _load(square_store, val_fraction=0.0)
    with pytest.raises(StoreError, match="held-out"):
        action_ceilings(data, LOW, HIGH)


def test_ceilings_refuse_stores_of_two_image_sizes(square_store: Path, tmp_path: Path) -> None:
    small = make_store(tmp_path / "small.zarr", episodes=3, length=5, size=16)
    with pytest.raises(StoreError, match="one image size"):
        _load(square_store, small, frames=True)
