"""recorder_node with live rclpy publishers (all in subprocesses): clean stop and SIGKILL."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from jepa_wm.bags.config import BagConvertConfig
from jepa_wm.bags.convert import convert_bags
from jepa_wm.bags.recorder import BagRecorder
from jepa_wm.bags.source import BagSource
from jepa_wm.cli.record import recorder_command
from jepa_wm.config import from_dict
from jepa_wm.data.store import TrajectoryStore
from jepa_wm.errors import BagError

RECORDER = (
    Path(__file__).resolve().parents[2] / "ros_ws/src/jepa_wm_ros/jepa_wm_ros/recorder_node.py"
)

# Publishes frame i (pixels = i) and joint states (a = i) at 20 Hz between start/stop service calls.
PUBLISHER = textwrap.dedent(
    """
    import sys, time
    import numpy as np, rclpy
    from rclpy.node import Node
    from sensor_msgs.msg import Image, JointState
    from std_srvs.srv import Trigger

    frames, linger = int(sys.argv[1]), float(sys.argv[2])
    rclpy.init()
    n = Node("test_pub")
    ip = n.create_publisher(Image, "/camera/image_raw", 10)
    jp = n.create_publisher(JointState, "/joint_states", 10)
    start = n.create_client(Trigger, "/recorder/start_episode")
    stop = n.create_client(Trigger, "/recorder/stop_episode")
    t_end = time.time() + 20
    while time.time() < t_end and (ip.get_subscription_count() == 0 or jp.get_subscription_count() == 0):
        rclpy.spin_once(n, timeout_sec=0.05)
    assert start.wait_for_service(timeout_sec=10)

    def call(client):
        fut = client.call_async(Trigger.Request())
        rclpy.spin_until_future_complete(n, fut, timeout_sec=5)
        return fut.result().success

    assert call(start)
    time.sleep(0.3)
    for i in range(frames):
        im = Image(height=8, width=8, encoding="rgb8", step=24)
        im.header.stamp = n.get_clock().now().to_msg()
        im.data = np.full((8, 8, 3), i, np.uint8).tobytes()
        ip.publish(im)
        for _ in range(5):
            js = JointState(name=["b", "a"], position=[-float(i), float(i)])
            js.header.stamp = n.get_clock().now().to_msg()
            jp.publish(js)
            time.sleep(0.01)
    time.sleep(0.3)
    if linger == 0:
        assert call(stop)
    print("PUBLISHED", frames, flush=True)
    time.sleep(linger)
    """
)

CFG = {
    "fps": 20.0,
    "state": {"joints": ["a"], "tolerance": 0.02},
    "episodes": {"split": "marker", "marker_topic": "/episode_marker"},
}


def _start(tmp_path: Path, env: dict, frames: int, linger: float):
    bag = tmp_path / "bag"
    rec = subprocess.Popen(
        [sys.executable, str(RECORDER), "--ros-args", "-p", f"output:={bag}",
         "-p", "topics:=['/camera/image_raw','/joint_states']", "-p", "flush_period:=0.2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    (tmp_path / "pub.py").write_text(PUBLISHER)
    pub = subprocess.Popen(
        [sys.executable, str(tmp_path / "pub.py"), str(frames), str(linger)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    return bag, rec, pub


def _wait_line(proc: subprocess.Popen, word: str, timeout: float) -> str:
    t_end = time.monotonic() + timeout
    lines = []
    while time.monotonic() < t_end:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        lines.append(line)
        if word in line:
            return line
    proc.kill()
    raise AssertionError(f"no {word!r} within {timeout}s: {''.join(lines)[-2000:]}")


def _stop(*procs: subprocess.Popen) -> None:
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=10)


def _check_frames(store: Path) -> np.ndarray:
    ep = TrajectoryStore.open(store).episode(0)
    idx = ep["rgb"][:, 0, 0, 0].astype(np.float32)
    assert np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(ep["state"][:, 0], idx)  # state a == frame index i
    return idx


@pytest.mark.ros
def test_recorder_live_topics_clean_stop(tmp_path, ros_env) -> None:
    bag, rec, pub = _start(tmp_path, ros_env, frames=30, linger=0.0)
    try:
        _wait_line(pub, "PUBLISHED", 60)
        pub.wait(timeout=10)
        rec.send_signal(signal.SIGINT)
        done = _wait_line(rec, "RECORDER_DONE", 20)
        assert rec.wait(timeout=10) == 0
    finally:
        _stop(rec, pub)
    summary = json.loads(done.split(" ", 1)[1])
    assert summary["episodes"] == 1 and summary["messages"]["/episode_marker"] == 2
    assert (bag / "metadata.yaml").exists()  # closed cleanly: a complete rosbag2
    cfg = from_dict(BagConvertConfig, CFG)
    convert_bags([bag], tmp_path / "o.zarr", cfg, progress=False)
    idx = _check_frames(tmp_path / "o.zarr")
    assert len(idx) >= 20  # 30 published at 20 Hz over loopback; a few may be lost


@pytest.mark.ros
def test_recorder_sigkill_leaves_readable_bag(tmp_path, ros_env) -> None:
    bag, rec, pub = _start(tmp_path, ros_env, frames=30, linger=5.0)
    try:
        _wait_line(pub, "PUBLISHED", 60)
        time.sleep(0.6)  # > flush_period: the data is on disk
        rec.send_signal(signal.SIGKILL)
        rec.wait(timeout=10)
    finally:
        _stop(rec, pub)
    assert not (bag / "metadata.yaml").exists()
    with BagSource(bag) as src:
        assert src.topics["/camera/image_raw"].count >= 20
        assert any("not a closed bag" in w for w in src.warnings)
    cfg = from_dict(BagConvertConfig, CFG)  # the episode was never stopped: it runs to the end
    report = convert_bags([bag], tmp_path / "o.zarr", cfg, progress=False)
    assert report["frames"] >= 20
    _check_frames(tmp_path / "o.zarr")
    # it was cut off by the kill: kept and marked partial, and counted in the report
    assert report["partial_episodes"] == [0] and report["bags"][0]["partial_episodes"] == 1
    assert TrajectoryStore.open(tmp_path / "o.zarr").attrs["partial_episodes"] == [0]
    drop = from_dict(BagConvertConfig, {**CFG, "episodes": {**CFG["episodes"], "partial": "drop"}})
    with pytest.raises(BagError, match="'partial_dropped': 1"):
        convert_bags([bag], tmp_path / "d.zarr", drop, progress=False)


def test_record_sim_launch_file_parses() -> None:
    from jepa_wm.app.launch import parse_launch_file

    path = RECORDER.parents[4] / "launch" / "record_sim.launch.yaml"
    plan = parse_launch_file(path, {"out": "/tmp/x", "task": "franka-reach"})
    nodes = {n.exec: dict(n.params) for n in plan.nodes}
    assert (
        nodes["recorder_node"]["output"] == "/tmp/x" and nodes["sim_node"]["env"] == "franka-reach"
    )


def test_recorder_flush_survives_kill_without_ros(tmp_path) -> None:
    code = textwrap.dedent(
        f"""
        import time
        from jepa_wm.bags.recorder import BagRecorder
        r = BagRecorder({str(tmp_path / "b")!r})
        r.add_topic("/x", "std_msgs/msg/String")
        for i in range(40):
            r.write("/x", 1_000 + i, bytes([0, 1, 0, 0, 2, 0, 0, 0, 65, 0]))
            if i == 29:
                r.flush()
        print("READY", flush=True)
        time.sleep(30)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert "READY" in proc.stdout.readline()
    finally:
        proc.kill()
        proc.wait(timeout=10)
    with BagSource(tmp_path / "b") as src:
        msgs = [src.decode(raw, mt).data for _, mt, _, raw in src.messages({"/x"})]
    assert msgs == ["A"] * 30  # everything flushed survives; the unflushed 10 are lost
    assert BagRecorder.__doc__ and recorder_command()[0] == sys.executable


@pytest.mark.ros
def test_record_cli_starts_and_stops_the_node(tmp_path, ros_env) -> None:
    bag = tmp_path / "rec"
    cmd = [sys.executable, "-m", "jepa_wm.cli.main", "record", "--out", str(bag),
           "--topics", "/nothing", "--duration", "3", "--start-episode"]  # fmt: skip
    proc = subprocess.run(cmd, env=ros_env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "RECORDER_DONE" in proc.stdout and (bag / "metadata.yaml").exists()
    with BagSource(bag) as src:  # the start marker, and the stop written on close
        assert src.topics["/episode_marker"].count == 2
