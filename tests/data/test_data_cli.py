"""``jepa-wm inspect`` end to end (subprocess): summaries, v2 export, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import zarr

from jepa_wm.data.export import export_store
from jepa_wm.data.store import TrajectoryStore
from tests.data.conftest import write_store

ROOT = Path(__file__).resolve().parents[2]


def _inspect(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "jepa_wm.cli.main", "inspect", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_export_v2_round_trip_and_inspect(tmp_path: Path) -> None:
    src, dst = tmp_path / "v3.zarr", tmp_path / "v2.zarr"
    eps = write_store(src, [4, 6])
    st = TrajectoryStore.open(src, mode="a")
    st.update_attrs({"note": "kept"})
    st.compute_stats()
    export_store(src, dst, zarr_format=2)
    # A plain zarr v2 reader (what diffusion_policy's ReplayBuffer does) sees the layout.
    raw = zarr.open_group(str(dst), mode="r", zarr_format=2)
    assert raw["meta/episode_ends"][:].tolist() == [4, 10]
    assert raw["meta/episode_ends"].dtype == np.int64
    np.testing.assert_array_equal(raw["data/rgb"][4:], eps[1]["rgb"])
    assert (dst / "data" / "rgb" / ".zarray").is_file()
    back = TrajectoryStore.open(dst)
    assert back.zarr_format == 2 and back.attrs["note"] == "kept"
    assert back.attrs["stats"] == TrajectoryStore.open(src).attrs["stats"]
    np.testing.assert_array_equal(back.episode(0)["state"], eps[0]["state"])
    res = _inspect(str(dst), "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["zarr_format"] == 2 and report["episodes"] == 2 and report["steps"] == 10
    assert report["keys"]["rgb"]["shape"] == [10, 8, 8, 3]
    assert report["episode_length"] == {"min": 4, "mean": 5.0, "max": 6}
    text = _inspect(str(src))
    assert text.returncode == 0 and "episodes: 2" in text.stdout and "uint8" in text.stdout


def _truncated_chunk(p: Path) -> None:
    write_store(p, [3, 3])
    chunk = p / "data" / "rgb" / "c" / "4" / "0" / "0" / "0"
    chunk.write_bytes(chunk.read_bytes()[:7])


def _mismatched(p: Path) -> None:
    write_store(p, [3, 3])
    zarr.open_array(str(p / "data" / "state"), mode="r+").resize((4, 3))


def _wrong_dtype(p: Path) -> None:
    write_store(p, [3])
    meta = p / "data" / "state" / "zarr.json"
    meta.write_text(meta.read_text().replace('"float32"', '"float64"'))


def _non_zarr(p: Path) -> None:
    p.mkdir()
    (p / "notes.txt").write_text("hello")


def _foreign_zarr(p: Path) -> None:
    zarr.open_group(str(p), mode="w").create_array("x", shape=(2,), dtype="f4")


def _corrupt_metadata(p: Path) -> None:
    write_store(p, [3])
    (p / "zarr.json").write_text("{not json")


BAD_STORES = {
    "truncated_chunk": (_truncated_chunk, "data/rgb is corrupt in episode 1"),
    "mismatched_lengths": (_mismatched, "inconsistent lengths"),
    "wrong_dtype": (_wrong_dtype, "data/state has dtype float64, expected float32"),
    "non_zarr_folder": (_non_zarr, "not a Zarr store"),
    "foreign_zarr": (_foreign_zarr, "not a jepa-wm trajectory store"),
    "corrupt_metadata": (_corrupt_metadata, "cannot open as a Zarr group"),
    "missing": (lambda p: None, "does not exist"),
}


def test_inspect_bad_stores_one_line_error(tmp_path: Path) -> None:
    """Each bad store through the real CLI; the processes run side by side to save time."""
    procs = {}
    for name, (make, _) in BAD_STORES.items():
        path = tmp_path / f"{name}.zarr"
        make(path)
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", "jepa_wm.cli.main", "inspect", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
    for name, proc in procs.items():
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 1, (name, err)
        assert "Traceback" not in err, (name, err)
        assert len(err.strip().splitlines()) == 1, (name, err)
        assert err.startswith("jepa-wm inspect: error:"), (name, err)
        assert BAD_STORES[name][1] in err, (name, err)


def test_inspect_empty_store(tmp_path: Path) -> None:
    path = tmp_path / "empty.zarr"
    TrajectoryStore.create(path, fps=15, source={})
    res = _inspect(str(path), "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["episodes"] == 0
