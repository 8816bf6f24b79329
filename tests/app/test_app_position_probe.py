"""Linear position probes from latents: the fit against known answers, the recorded frames, the
frames file that lets several models be probed on the same frames."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from jepa_wm.app.position_probe import (
    ProbeConfig,
    ProbeFrames,
    fit_position_probes,
    load_probe_frames,
    position_probe_report,
    record_probe_frames,
    save_probe_frames,
)
from jepa_wm.errors import ConfigError
from jepa_wm.models.config import model_config
from jepa_wm.models.world_model import JepaWorldModel


def _frames(n_eps: int = 10, per_ep: int = 30, seed: int = 0) -> ProbeFrames:
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-0.3, 0.3, (n_eps * per_ep, 3))
    return ProbeFrames(
        np.zeros((n_eps * per_ep, 1, 8, 8, 3), np.uint8),
        {"ee_pos": pos},
        np.repeat(np.arange(n_eps), per_ep),
    )


def test_the_probe_reads_positions_that_the_features_hold_and_not_others() -> None:
    data = _frames()
    rng = np.random.default_rng(1)
    mix = rng.normal(size=(3, 16))
    good = data.positions["ee_pos"] @ mix + 0.001 * rng.normal(size=(len(data.episode), 16))
    out = fit_position_probes(good, data)["ee_pos"]
    assert out["probe_cm"] < 0.5 and out["mean_cm"] > 10 and out["ratio"] < 0.05
    noise = rng.normal(size=(len(data.episode), 16))  # carries nothing: no better than the mean
    assert fit_position_probes(noise, data)["ee_pos"]["ratio"] > 0.9


def test_frames_file_round_trip_and_refusal(tmp_path: Path) -> None:
    data, meta = _frames(), {"env": "franka-reach", "episodes": 10}
    save_probe_frames(tmp_path / "p.npz", data, meta)
    back = load_probe_frames(tmp_path / "p.npz", meta)
    assert np.array_equal(back.positions["ee_pos"], data.positions["ee_pos"])
    assert np.array_equal(back.episode, data.episode) and back.frames.shape == data.frames.shape
    with pytest.raises(ConfigError, match="recorded with another episodes"):
        load_probe_frames(tmp_path / "p.npz", {**meta, "episodes": 12})


def test_recorded_reach_frames_give_a_report_and_are_reused(tmp_path: Path) -> None:
    cfg = ProbeConfig(env="franka-reach", episodes=4, seed=3_000_000)
    data = record_probe_frames(cfg, ("rgb",), 64)
    assert data.frames.shape[1:] == (1, 64, 64, 3) and data.frames.dtype == np.uint8
    assert set(data.positions) == {"ee_pos"} and len(data.positions["ee_pos"]) == len(data.episode)
    assert sorted(set(data.episode.tolist())) == [0, 1, 2, 3]
    model = JepaWorldModel(model_config("tiny", {"action_dim": 7, "state_dim": 7}))
    meta = {**asdict(cfg), "views": ["rgb"], "image_size": 64}
    save_probe_frames(tmp_path / "f.npz", data, meta)
    report = position_probe_report(model, cfg, frames_file=tmp_path / "f.npz")
    assert report["frames"] == len(data.episode) and report["scored_frames"] > 0
    assert report["positions"]["ee_pos"]["mean_cm"] > 0
