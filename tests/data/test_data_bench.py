"""``jepa-wm bench data`` on a tiny synthetic store: the report's shape, not its speed."""

from __future__ import annotations

import argparse
from pathlib import Path

from jepa_wm.bench import data as bench_data


def test_bench_data_report(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    bench_data.add_arguments(parser)
    args = parser.parse_args(
        ["--episodes", "2", "--episode-len", "12", "--image-size", "16", "--clip-len", "3",
         "--clips", "16", "--repeats", "1", "--dir", str(tmp_path)]
    )  # fmt: skip
    report = bench_data.run(args)
    assert set(report["readers"]) == {
        "zarr_clipdataset",
        "zarr_api",
        "hdf5_gzip1",
        "hdf5_lzf",
        "naive",
    }
    assert all(r["clips_per_s"] > 0 for r in report["readers"].values())
    assert set(report["ratios"]) == {
        "zarr_clipdataset_vs_zarr_api",
        "zarr_clipdataset_vs_hdf5_gzip1",
        "zarr_clipdataset_vs_hdf5_lzf",
        "zarr_clipdataset_vs_naive",
    }
    assert report["identical_clips_checked"] is True
    assert report["sizes"]["zarr_bytes"] > 0 and (tmp_path / "bench.h5").is_file()
    assert isinstance(report["zarr_at_least_2x_naive"], bool)
