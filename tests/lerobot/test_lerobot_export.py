"""export-lerobot: the layout lerobot writes, checked against its fixtures, and a round trip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from jepa_wm.cli.main import main
from jepa_wm.data.store import TrajectoryStore
from jepa_wm.errors import DatasetError
from jepa_wm.lerobot.exporter import export_lerobot
from jepa_wm.lerobot.importer import import_lerobot
from tests.data.conftest import write_store
from tests.lerobot.test_lerobot_import import FIXTURES

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="lerobot-v3 fixtures not found")
FILES = ("data/chunk-000/file-000.parquet", "meta/episodes/chunk-000/file-000.parquet",
         "meta/tasks.parquet")  # fmt: skip


def _columns(path: Path) -> list[tuple[str, str]]:
    return [(f.name, str(f.type)) for f in pq.read_schema(path) if not f.name.startswith("stats/")]


def test_export_writes_what_lerobot_wrote(tmp_path: Path, capsys) -> None:
    """fixture -> import -> export gives back the fixture's schema, info.json and rows."""
    fixture = FIXTURES / "images"
    import_lerobot(fixture, tmp_path / "s.zarr", progress=False)
    out = tmp_path / "ds"
    assert main(["export-lerobot", str(tmp_path / "s.zarr"), "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["frames"] == 36
    for name in FILES:
        assert _columns(out / name) == _columns(fixture / name), name
    info = json.loads((fixture / "meta" / "info.json").read_text())
    assert json.loads((out / "meta" / "info.json").read_text()) == info
    stats = json.loads((out / "meta" / "stats.json").read_text())
    want_stats = json.loads((fixture / "meta" / "stats.json").read_text())
    assert sorted(stats) == sorted(want_stats)
    np.testing.assert_allclose(stats["action"]["std"], want_stats["action"]["std"], rtol=1e-4)
    got, want = (pq.read_table(r / FILES[0]).to_pydict() for r in (out, fixture))
    for col in ("observation.state", "action", "timestamp", "frame_index", "episode_index",
                "index", "task_index"):  # fmt: skip
        assert got[col] == want[col], col
    assert (
        pq.read_table(out / FILES[2]).to_pylist() == pq.read_table(fixture / FILES[2]).to_pylist()
    )
    episodes = pq.read_table(out / FILES[1]).to_pylist()
    assert [e["tasks"] for e in episodes] == [
        ["lift the cube"],
        ["reach the target"],
        ["lift the cube"],
    ]


def test_store_round_trips_through_lerobot(tmp_path: Path) -> None:
    episodes = write_store(tmp_path / "a.zarr", [5, 3], size=16)
    export_lerobot(tmp_path / "a.zarr", tmp_path / "ds", task="push the block")
    import_lerobot(tmp_path / "ds", tmp_path / "b.zarr", progress=False)
    back = TrajectoryStore.open(tmp_path / "b.zarr")
    assert back.episode_lengths.tolist() == [5, 3] and back.fps == 20.0
    assert back.attrs["tasks"] == [["push the block"], ["push the block"]]
    for i, ep in enumerate(episodes):
        got = back.episode(i)
        for key in ("rgb", "state", "action"):
            np.testing.assert_array_equal(got[key], ep[key], err_msg=key)
        np.testing.assert_allclose(got["timestamp"], ep["timestamp"], atol=1e-6)  # float32


def test_export_refuses_to_overwrite(tmp_path: Path) -> None:
    write_store(tmp_path / "a.zarr", [2])
    (tmp_path / "taken").mkdir()
    with pytest.raises(DatasetError, match="already exists"):
        export_lerobot(tmp_path / "a.zarr", tmp_path / "taken")
    with pytest.raises(DatasetError, match="not a LeRobot dataset"):
        export_lerobot(tmp_path / "a.zarr", tmp_path / "taken", overwrite=True)
    assert (tmp_path / "taken").is_dir()
