"""Stores on object storage: a real S3 API served on loopback by moto, started by the test.

Credentials and the endpoint reach s3fs the usual way, from AWS_* environment variables.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from jepa_wm.cli.main import main
from jepa_wm.data.store import TrajectoryStore
from jepa_wm.errors import StoreError

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")
BUCKET = "jepa-test"


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 (a free port), a bucket, and the AWS_* variables."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://{host}:{port}"}  # fmt: skip
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        import fsspec

        fsspec.filesystem("s3", skip_instance_cache=True).mkdir(BUCKET)
        yield f"s3://{BUCKET}"
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop()


def _same_store(a: TrajectoryStore, b: TrajectoryStore, ignore_source: tuple[str, ...]) -> None:
    assert a.keys == b.keys and a.episode_ends.tolist() == b.episode_ends.tolist()
    for key in a.keys:
        np.testing.assert_array_equal(a.read_all(key), b.read_all(key), err_msg=key)
    x, y = a.attrs, b.attrs
    for attrs in (x, y):
        for k in ignore_source:
            attrs["source"].get("collect_config", {}).pop(k, None)
    assert x == y


def test_collect_to_s3_equals_local(s3: str, tmp_path: Path, capsys) -> None:
    args = ["collect", "--env", "franka-reach", "--episodes", "2", "--max-steps", "4", "--json"]
    assert main([*args, "--out", f"{s3}/reach.zarr"]) == 0
    assert main([*args, "--out", str(tmp_path / "reach.zarr")]) == 0
    capsys.readouterr()
    remote = TrajectoryStore.open(f"{s3}/reach.zarr")
    assert remote.path == f"{s3}/reach.zarr"
    _same_store(remote, TrajectoryStore.open(tmp_path / "reach.zarr"), ("out",))
    # appending to the S3 store continues its seed sequence
    assert main([*args, "--out", f"{s3}/reach.zarr"]) == 0
    assert json.loads(capsys.readouterr().out)["first_seed"] == 2
    assert main(["inspect", f"{s3}/reach.zarr", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["episodes"] == 4 and summary["size_bytes"] > 0


def test_train_streams_clips_from_s3(s3: str, tmp_path: Path, capsys) -> None:
    from jepa_wm.data.clips import ClipDataset
    from jepa_wm.train.config import load_train_config
    from jepa_wm.train.trainer import train
    from tests.train.synth import make_store

    local = make_store(tmp_path / "synth.zarr", episodes=6, length=10)
    remote = f"{s3}/synth.zarr"
    src = TrajectoryStore.open(local)
    dst = TrajectoryStore.create(remote, fps=src.fps, source=src.attrs["source"])
    for i in range(src.num_episodes):
        dst.add_episode(src.episode(i))
    dst.compute_stats()
    a, b = ClipDataset([local], clip_len=3), ClipDataset([remote], clip_len=3)
    assert len(a) == len(b)
    assert not b._handles(0).rgb["rgb"].fast  # chunks come through zarr's FsspecStore
    for i in (0, len(a) - 1):
        np.testing.assert_array_equal(a[i]["rgb"].numpy(), b[i]["rgb"].numpy())
    cfg = load_train_config(None, {"steps": 3, "batch_size": 4, "clip_len": 3, "log_every": 1,
                                   "val_every": 3, "val_batches": 1, "ckpt_every": 3,
                                   "warmup_steps": 1, "threads": 1, "rollout_steps": 1})  # fmt: skip
    summary = train(cfg, [remote], tmp_path / "run", progress=False)
    assert summary["steps_done"] == 3 and summary["data"][0]["path"] == remote
    args = ["eval-model", "--checkpoint", str(tmp_path / "run"), "--data", remote,
            "--transitions", "0", "--horizon", "1", "--json"]  # fmt: skip
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["latent"]["clips"] > 0


def test_import_lerobot_to_s3_and_errors(s3: str, tmp_path: Path, capsys) -> None:
    from tests.lerobot.test_lerobot_import import FIXTURES

    if not FIXTURES.is_dir():
        pytest.skip("lerobot-v3 fixtures not found")
    out = f"{s3}/lr.zarr"
    assert main(["import-lerobot", str(FIXTURES / "images"), "--out", out, "--json"]) == 0
    capsys.readouterr()
    assert TrajectoryStore.open(out).episode_lengths.tolist() == [12, 9, 15]
    with pytest.raises(StoreError, match="already exists"):
        TrajectoryStore.create(out, fps=10.0, source={})
    assert main(["inspect", f"{s3}/nothing.zarr"]) == 1
    assert "not a Zarr store" in capsys.readouterr().err


def test_bench_data_times_s3_next_to_local(s3: str, tmp_path: Path) -> None:
    import argparse

    from jepa_wm.bench import data as bench_data

    parser = argparse.ArgumentParser()
    bench_data.add_arguments(parser)
    args = parser.parse_args(
        ["--episodes", "2", "--episode-len", "12", "--image-size", "16", "--clip-len", "3",
         "--clips", "8", "--repeats", "1", "--dir", str(tmp_path), "--s3", f"{s3}/bench"]
    )  # fmt: skip
    report = bench_data.run(args)
    assert report["readers"]["zarr_clipdataset_s3"]["clips_per_s"] > 0
    assert "zarr_clipdataset_vs_zarr_clipdataset_s3" in report["ratios"]
    assert report["identical_clips_checked"] is True  # the S3 clips equal the local ones


def test_bag2zarr_and_export_lerobot_with_s3_stores(s3: str, tmp_path: Path) -> None:
    from jepa_wm.bags.convert import convert_bags
    from jepa_wm.bags.synth import SynthSpec, write_synthetic_bag
    from jepa_wm.lerobot.exporter import export_lerobot
    from tests.bags.test_bags_convert import _cfg

    bag = write_synthetic_bag(tmp_path / "bag", SynthSpec(frames=12, size=16))
    convert_bags([bag], f"{s3}/bag.zarr", _cfg(), progress=False)
    convert_bags([bag], tmp_path / "bag.zarr", _cfg(), progress=False)
    remote, local = (
        TrajectoryStore.open(f"{s3}/bag.zarr"),
        TrajectoryStore.open(tmp_path / "bag.zarr"),
    )
    for key in local.keys:
        np.testing.assert_array_equal(remote.read_all(key), local.read_all(key))
    summary = export_lerobot(f"{s3}/bag.zarr", tmp_path / "ds", task="t")
    assert summary["frames"] == local.num_steps
