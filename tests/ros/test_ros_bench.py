"""`jepa-wm bench ros` runs real nodes and reports latencies next to the raw rclpy floor."""

from __future__ import annotations

import argparse
import json

import pytest


def test_ros_bench_probe_pairs_a_trajectory_with_the_newest_action() -> None:
    pytest.importorskip("sensor_msgs.msg")
    from jepa_wm_ros.bench_probe import TrajectoryPairing

    pair = TrajectoryPairing()
    assert pair.trajectory() is None  # a hold before any action answers no frame
    pair.action(1.0)
    # the trajectory of frame 1.0 overtook its action (or was never sent): frame 2.0's
    # trajectory answers 2.0, not 1.0, and nothing after it shifts by one plan
    pair.action(2.0)
    assert pair.trajectory() == 2.0 and pair.unpaired == 1
    assert pair.trajectory() is None  # a second trajectory (a hold) answers no frame
    pair.action(3.0)
    assert pair.trajectory() == 3.0 and pair.unpaired == 1


@pytest.mark.ros
@pytest.mark.slow
def test_ros_bench_reports_pipeline_and_floor(ros_env: dict[str, str]) -> None:
    from jepa_wm.bench import ros as bench

    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    report = bench.run(
        parser.parse_args(["--duration", "3", "--camera-rate", "10", "--load-procs", "1"])
    )
    json.dumps(report)  # JSON-able
    floor, pipe = report["baseline_raw_rclpy_image"], report["pipeline"]
    assert floor["frames_received"] > 0 and floor["latency"]["p50_ms"] >= 0
    assert pipe["camera_to_planner_action"]["n"] > 0, report
    assert pipe["camera_to_joint_trajectory"]["n"] > 0
    assert pipe["camera_to_planner_action"]["p50_ms"] >= floor["latency"]["p50_ms"]
    assert pipe["achieved_control_rate_hz"] > 0
    # overhead = camera -> trajectory minus the planner's own step time, per planned frame
    assert pipe["overhead_ms"]["n"] > 0
    assert pipe["overhead_ms"]["p50_ms"] < pipe["camera_to_joint_trajectory"]["p50_ms"]
    # every frame with an overhead was planned; a planned frame whose trajectory never reached
    # the probe (superseded, or still in flight at the end: actions_without_trajectory) has a
    # plan time and no overhead
    assert pipe["overhead_ms"]["n"] <= pipe["planner_step"]["n"]
    # its stages, per planned frame
    for stage in ("planner_receive", "planner_wait", "planner_publish", "action_to_trajectory"):
        assert pipe[stage]["n"] > 0 and pipe[stage]["p50_ms"] >= 0, stage
    assert pipe["action_to_trajectory"]["n"] == pipe["camera_to_joint_trajectory"]["n"]
    assert pipe["actions_without_trajectory"] >= 0
    assert set(pipe["planner_dropped"]) == {"dropped_while_planning", "dropped_past_deadline"}
    busy = report["contended"]
    assert busy["load_procs"] == 1 and busy["camera_to_joint_trajectory"]["n"] > 0
    assert report["deadline_ms"] == 100.0 and "p95_within_deadline_plus_5ms" in busy
