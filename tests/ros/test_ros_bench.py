"""`jepa-wm bench ros` runs real nodes and reports latencies next to the raw rclpy floor."""

from __future__ import annotations

import argparse
import json

import pytest

pytestmark = [pytest.mark.ros, pytest.mark.slow]


def test_ros_bench_reports_pipeline_and_floor(ros_env: dict[str, str]) -> None:
    from jepa_wm.bench import ros as bench

    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    report = bench.run(parser.parse_args(["--duration", "3", "--camera-rate", "10"]))
    json.dumps(report)  # JSON-able
    floor, pipe = report["baseline_raw_rclpy_image"], report["pipeline"]
    assert floor["frames_received"] > 0 and floor["latency"]["p50_ms"] >= 0
    assert pipe["camera_to_planner_action"]["n"] > 0, report
    assert pipe["camera_to_joint_trajectory"]["n"] > 0
    assert pipe["camera_to_planner_action"]["p50_ms"] >= floor["latency"]["p50_ms"]
    assert pipe["achieved_control_rate_hz"] > 0
