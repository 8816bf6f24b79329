"""Bags we did not write: the real rosbag2 fixtures, truncated files, the CLI's refusals."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from jepa_wm.bags.config import BagConvertConfig
from jepa_wm.bags.convert import convert_bags
from jepa_wm.bags.source import BagSource, list_topics
from jepa_wm.bags.synth import SynthSpec, write_synthetic_bag
from jepa_wm.cli.main import main
from jepa_wm.config import from_dict
from jepa_wm.data.store import TrajectoryStore
from jepa_wm.errors import BagError

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "real-rosbag2"
FOREIGN = {
    "mcap_talker": {"/topic": "std_msgs/msg/String", "/rosout": "rcl_interfaces/msg/Log"},
    "sqlite3_talker": {"/topic": "std_msgs/msg/String", "/rosout": "rcl_interfaces/msg/Log"},
    "mcap_cdr_test": {
        "/array_topic": "test_msgs/msg/Arrays",
        "/test_topic": "test_msgs/msg/BasicTypes",
    },
    "sqlite3_cdr_test": {
        "/array_topic": "test_msgs/msg/Arrays",
        "/test_topic": "test_msgs/msg/BasicTypes",
    },
}
CFG = {"fps": 10.0, "state": {"joints": ["j1", "j2", "j3"]}}

needs_fixtures = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures not present")


@needs_fixtures
@pytest.mark.parametrize("name", sorted(FOREIGN))
def test_foreign_bag_listed_and_refused(tmp_path, name: str) -> None:
    bag = FIXTURES / name
    topics = list_topics(bag)
    for topic, msgtype in FOREIGN[name].items():
        assert topics[topic].msgtype == msgtype
    assert topics["/topic" if "talker" in name else "/test_topic"].count in (10, 3)
    with pytest.raises(BagError) as err:
        convert_bags([bag], tmp_path / "out.zarr", from_dict(BagConvertConfig, CFG))
    msg = str(err.value)
    assert "/camera/image_raw" in msg and "/joint_states" in msg  # what it needs
    assert all(t in msg for t in FOREIGN[name])  # what the bag has
    assert not (tmp_path / "out.zarr").exists()


@needs_fixtures
@pytest.mark.parametrize("name", sorted(FOREIGN))
def test_foreign_messages_decode(name: str) -> None:
    # test_msgs is in no standard type store: decoding uses the definitions the bag stores
    with BagSource(FIXTURES / name) as bag:
        msgs = [bag.decode(raw, mt) for _, mt, _, raw in bag.messages(bag.topics)]
    assert len(msgs) in (7, 20)
    assert {type(m).__name__.split("__")[0] for m in msgs} <= {
        "std_msgs",
        "rcl_interfaces",
        "test_msgs",
    }


@needs_fixtures
def test_cli_refusal_is_one_line(tmp_path, capsys) -> None:
    (tmp_path / "t.yaml").write_text("state: {joints: [a]}\n")
    rc = main(
        [
            "bag2zarr",
            str(FIXTURES / "mcap_talker"),
            "--out",
            str(tmp_path / "o.zarr"),
            "--config",
            str(tmp_path / "t.yaml"),
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1 and "missing topic(s)" in err and "/rosout" in err and "Traceback" not in err
    assert not (tmp_path / "o.zarr").exists()
    assert main(["bag2zarr", str(FIXTURES / "sqlite3_cdr_test"), "--list"]) == 0
    assert "test_msgs/msg/Arrays" in capsys.readouterr().out


def _truncated_copy(tmp_path: Path, keep: float, drop_metadata: bool) -> Path:
    bag = write_synthetic_bag(tmp_path / "bag", SynthSpec(frames=100, size=96, commands=False))
    mcap = next(bag.glob("*.mcap"))
    os.truncate(mcap, int(mcap.stat().st_size * keep))
    if drop_metadata:  # what a SIGKILLed recorder leaves: no metadata.yaml, no mcap footer
        (bag / "metadata.yaml").unlink()
    return bag


@pytest.mark.parametrize("drop_metadata", [False, True])
def test_truncated_mcap_converts_what_is_readable(tmp_path, drop_metadata: bool) -> None:
    bag = _truncated_copy(tmp_path, 0.6, drop_metadata)
    report = convert_bags([bag], tmp_path / "o.zarr", from_dict(BagConvertConfig, CFG))
    b = report["bags"][0]
    assert any("bytes unreadable" in w for w in b["warnings"])
    assert 10 <= b["images"] < 100 and report["frames"] > 5  # some, not all
    ep = TrajectoryStore.open(tmp_path / "o.zarr").episode(0)
    # the recovered frames are intact: frame i holds i in channel 0, in order
    idx = ep["rgb"][:, 0, 0, 0].astype(int)
    assert np.all(np.diff(idx) == 2) and np.array_equal(
        ep["rgb"][0, :, :, 1], ep["rgb"][-1, :, :, 1]
    )


def test_unreadable_bag_is_a_bag_error(tmp_path) -> None:
    bad = tmp_path / "x.mcap"
    bad.write_bytes(b"not a bag at all")
    with pytest.raises(BagError):
        list_topics(bad)
    empty_dir = tmp_path / "d"
    shutil.os.mkdir(empty_dir)
    with pytest.raises(BagError):
        list_topics(empty_dir)


def test_split_bag_directory_reads_all_files(tmp_path) -> None:
    import yaml

    t0 = 1_700_000_000.0
    a = write_synthetic_bag(tmp_path / "a", SynthSpec(frames=20, commands=False, t0=t0))
    b = write_synthetic_bag(tmp_path / "b", SynthSpec(frames=20, commands=False, t0=t0 + 1.0))
    # rosbag2 splits one recording into <name>_0.mcap, <name>_1.mcap listed in metadata.yaml
    split = tmp_path / "split"
    split.mkdir()
    shutil.copy(next(a.glob("*.mcap")), split / "split_0.mcap")
    shutil.copy(next(b.glob("*.mcap")), split / "split_1.mcap")
    meta = yaml.safe_load((a / "metadata.yaml").read_text())
    info = meta["rosbag2_bagfile_information"]
    info["relative_file_paths"] = ["split_0.mcap", "split_1.mcap"]
    info["files"] = []
    for t in info["topics_with_message_count"]:
        t["message_count"] *= 2
    info["message_count"] *= 2
    info["duration"]["nanoseconds"] += 1_000_000_000
    (split / "metadata.yaml").write_text(yaml.safe_dump(meta))
    assert list_topics(split)["/camera/image_raw"].count == 40
    report = convert_bags([split], tmp_path / "o.zarr", from_dict(BagConvertConfig, CFG))
    # frames of the second file continue the first file's episode (0.05 s apart, no gap)
    assert report["bags"][0]["images"] == 40 and report["episodes"] == 1
