"""Shared test set-up. DDS discovery stays on loopback and each session gets its own domain."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

# Set before any test can import rclpy: discovery must never multicast off this machine.
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.setdefault("ROS_DOMAIN_ID", str(random.randint(1, 100)))
# Tests run on a 2-core machine next to other work: keep torch from oversubscribing.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture
def ros_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for a subprocess running real rclpy nodes: loopback only, private domain.

    LOCALHOST discovery plus the project's loopback-only Fast DDS profile (jepa_wm.app.dds).
    """
    domain = str(random.randint(1, 100))
    monkeypatch.setenv("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    monkeypatch.setenv("ROS_DOMAIN_ID", domain)
    from jepa_wm.app.dds import loopback_dds_env

    env = loopback_dds_env(
        os.environ
    )  # nodes bind 127.0.0.1 only (tests/ros/test_ros_dds_loopback.py)
    env["PYTHONUNBUFFERED"] = "1"
    return env


# A tiny synthetic store and a fast training config, for tests that train a model (train, app).
@pytest.fixture(scope="session")
def synth_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.train.synth import make_store

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
