"""Recordings as a crash leaves them: a sqlite3 WAL never checkpointed, a message-compressed mcap
without its metadata.yaml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jepa_wm.bags.config import BagConvertConfig
from jepa_wm.bags.convert import convert_bags
from jepa_wm.bags.source import BagSource
from jepa_wm.bags.synth import SynthSpec, write_synthetic_bag
from jepa_wm.config import from_dict
from jepa_wm.data.store import TrajectoryStore

CFG = {"fps": 10.0, "state": {"joints": ["j1", "j2", "j3"]}}

# What a recorder killed mid-write leaves: the rows after `cut` were committed to the WAL only
# (no checkpoint: wal_autocheckpoint off and the process ends without closing the database).
CRASH = """
import os, sqlite3, sys
db, cut, whole = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "true"
src = sqlite3.connect(db)
rows = src.execute("SELECT * FROM messages WHERE timestamp > ?", (cut,)).fetchall()
if whole:  # a recording in WAL mode from its first byte: the main file holds no table at all
    schema = [r[0] for r in src.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")]
    tables = {t: src.execute(f"SELECT * FROM {t}").fetchall()
              for (t,) in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    src.close()
    os.remove(db)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL"); con.execute("PRAGMA wal_autocheckpoint=0")
    for sql in schema:
        con.execute(sql)
    for t, rs in tables.items():
        if rs:
            con.executemany(f"INSERT INTO {t} VALUES ({','.join('?' * len(rs[0]))})", rs)
else:
    src.execute("DELETE FROM messages WHERE timestamp > ?", (cut,)); src.commit(); src.close()
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL"); con.execute("PRAGMA wal_autocheckpoint=0")
    con.executemany(f"INSERT INTO messages VALUES ({','.join('?' * len(rows[0]))})", rows)
con.commit()
os._exit(0)
"""


def _crashed_sqlite(tmp_path: Path, whole: bool) -> tuple[Path, int]:
    spec = SynthSpec(frames=30, commands=False)
    bag = write_synthetic_bag(tmp_path / "bag", spec, storage="sqlite3")
    with BagSource(bag) as b:
        total = sum(1 for _ in b.messages(b.topics))
    (bag / "metadata.yaml").unlink()  # rosbag2 writes it on close
    db3 = next(bag.glob("*.db3"))
    cut = int((spec.t0 + 1.0) * 1e9)  # the last 0.5 s of the 1.5 s recording: WAL only
    subprocess.run([sys.executable, "-c", CRASH, str(db3), str(cut), str(whole).lower()],
                   check=True, timeout=60)  # fmt: skip
    assert db3.with_name(db3.name + "-wal").stat().st_size > 0
    return bag, total


@pytest.mark.parametrize("whole", [False, True], ids=["newest_in_wal", "all_in_wal"])
def test_sqlite3_wal_of_a_crashed_recording_is_replayed(tmp_path: Path, whole: bool) -> None:
    bag, total = _crashed_sqlite(tmp_path, whole)
    before = sorted(p.name for p in bag.iterdir())
    with BagSource(bag) as b:
        n = sum(1 for _ in b.messages(b.topics))
        warnings = list(b.warnings)
    assert n == total, warnings
    assert any("were only in" in w and "-wal" in w for w in warnings), warnings
    assert sorted(p.name for p in bag.iterdir()) == before  # the bag itself is left as it was
    report = convert_bags([bag], tmp_path / "o.zarr", from_dict(BagConvertConfig, CFG))
    st = TrajectoryStore.open(tmp_path / "o.zarr")
    assert st.num_steps == report["frames"] >= 14  # 1.5 s at 10 fps, the WAL part included
    assert st.episode(0)["timestamp"][-1] - st.episode(0)["timestamp"][0] > 1.3


def test_message_compressed_mcap_without_metadata(tmp_path: Path) -> None:
    bag = write_synthetic_bag(tmp_path / "bag", SynthSpec(frames=20), compress_messages=True)
    cfg = from_dict(BagConvertConfig, CFG)
    closed = convert_bags([bag], tmp_path / "closed.zarr", cfg, progress=False)
    lone = tmp_path / "copied.mcap"  # the .mcap alone, as copied off a robot
    shutil.copy(next(bag.glob("*.mcap")), lone)
    report = convert_bags([lone], tmp_path / "o.zarr", cfg, progress=False)
    assert report["frames"] == closed["frames"] > 0
    (bag / "metadata.yaml").unlink()  # the recorder was killed before writing it
    report = convert_bags([bag], tmp_path / "k.zarr", cfg, progress=False)
    assert report["frames"] == closed["frames"]
