"""Shared test set-up. DDS discovery stays on loopback and each session gets its own domain."""

from __future__ import annotations

import os
import random

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
