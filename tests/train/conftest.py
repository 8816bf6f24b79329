"""Fixtures for training tests: a tiny synthetic store and a short trained run (module-wide)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.train.synth import make_store

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def synth_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(tmp_path_factory.mktemp("store") / "synth.zarr", episodes=8, length=12)


@pytest.fixture(scope="session")
def fast_cfg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A YAML config that keeps test runs to seconds."""
    path = tmp_path_factory.mktemp("cfg") / "fast.yaml"
    path.write_text(
        "batch_size: 8\nclip_len: 3\nrollout_steps: 2\nlog_every: 5\nval_every: 10\n"
        "val_batches: 2\nckpt_every: 10\nwarmup_steps: 5\nthreads: 1\nlr: 0.003\n"
        "model: {predictor: {dim: 32, depth: 2, heads: 2}, encoder: {channels: [16, 16, 16]}}\n"
    )
    return path
