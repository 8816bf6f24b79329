"""The upstream launch oracle, built once per test session (see ``oracle.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.launch.oracle import build_oracle, shared_dir


@pytest.fixture(scope="session")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``(ros2-launch wrapper, probe prefix)``; skipped with the reason when ../shared is absent."""
    shared = shared_dir()
    if shared is None:
        pytest.skip("upstream launch oracle absent: ../shared/oracles/ros2_launch not found")
    return build_oracle(shared, tmp_path_factory.mktemp("oracle"))
