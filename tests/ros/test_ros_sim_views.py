"""sim_node publishes every camera view of the task on its own topic, with camera_info."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG_SRC = ROOT / "ros_ws/src/jepa_wm_ros"

pytestmark = pytest.mark.ros

LISTENER = """
import time, rclpy
from rclpy.node import Node
from sensor_msgs.msg import Image, CameraInfo
from rclpy.qos import qos_profile_sensor_data
rclpy.init()
n = Node('views_listener')
got = {}
def keep(key):
    return lambda m: got.setdefault(key, m)
for ns in ('/camera', '/wrist_camera'):
    n.create_subscription(Image, ns + '/image_raw', keep(ns + ':img'), qos_profile_sensor_data)
    n.create_subscription(CameraInfo, ns + '/camera_info', keep(ns + ':info'), 10)
end = time.monotonic() + 40
while time.monotonic() < end and len(got) < 4:
    rclpy.spin_once(n, timeout_sec=0.1)
for k in sorted(got):
    m = got[k]
    extra = (m.encoding, m.width, m.height) if k.endswith('img') else (round(m.k[0], 3), m.width)
    print(k, m.header.frame_id, *extra, flush=True)
"""


def test_ros_sim_node_publishes_the_wrist_view(ros_env: dict[str, str]) -> None:
    from sim.registry import make_env

    env = {**ros_env, "PYTHONPATH": os.pathsep.join([str(PKG_SRC), ros_env.get("PYTHONPATH", "")])}
    sim = subprocess.Popen(
        [sys.executable, "-m", "jepa_wm_ros.sim_node", "--ros-args", "-p", "env:=franka-reach",
         "-p", "views:=camera,wrist", "-p", "rate_hz:=10.0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        out = subprocess.run(
            [sys.executable, "-c", LISTENER], env=env, capture_output=True, text=True, timeout=90
        ).stdout
    finally:
        sim.send_signal(signal.SIGINT)
        sim.wait(timeout=15)
    lines = dict(line.split(" ", 1) for line in out.splitlines())
    assert lines.get("/camera:img") == "camera rgb8 64 64", out
    assert lines.get("/wrist_camera:img") == "wrist_camera rgb8 64 64", out
    sim_env = make_env("franka-reach", image_size=64, wrist_camera=True)
    fx = {k: round(v["fx"], 3) for k, v in sim_env.camera_info().items()}
    sim_env.close()
    assert lines.get("/wrist_camera:info") == f"wrist_camera {fx['wrist']} 64", out
    assert lines.get("/camera:info") == f"camera {fx['rgb']} 64", out


def test_ros_sim_views_parse_and_refuse() -> None:
    sys.path.insert(0, str(PKG_SRC))
    from jepa_wm_ros.common import parse_views, view_prefix

    assert parse_views("camera,wrist", is_arm=True) == ("camera", "wrist")
    assert parse_views("wrist", is_arm=True) == ("camera", "wrist")  # the main camera always
    assert parse_views("camera", is_arm=False) == ("camera",)
    assert view_prefix("overhead") == "/overhead_camera"
    with pytest.raises(ValueError, match="views must name camera and/or overhead"):
        parse_views("camera,wrist", is_arm=False)
