"""camera_node publishes frames from a video file; planner_node refuses unsupported encodings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG_SRC = ROOT / "ros_ws/src/jepa_wm_ros"

pytestmark = pytest.mark.ros

LISTENER = """
import sys, time, rclpy
from rclpy.node import Node
from sensor_msgs.msg import Image, CameraInfo
from rclpy.qos import qos_profile_sensor_data
rclpy.init()
n = Node('listener')
got = {}
n.create_subscription(Image, '/camera/image_raw', lambda m: got.setdefault('img', (m.encoding, m.width, m.height)), qos_profile_sensor_data)
n.create_subscription(CameraInfo, '/camera/camera_info', lambda m: got.setdefault('info', m.k[0]), 10)
end = time.monotonic() + 30
while time.monotonic() < end and len(got) < 2:
    rclpy.spin_once(n, timeout_sec=0.1)
print(got, flush=True)
"""

PUBLISHER = """
import time, rclpy
from rclpy.node import Node
from sensor_msgs.msg import Image
rclpy.init()
n = Node('depth_pub')
pub = n.create_publisher(Image, '/camera/image_raw', 1)
end = time.monotonic() + 20
try:
    while time.monotonic() < end:
        pub.publish(Image(height=4, width=4, encoding='16UC1', step=8, data=bytes(32)))
        rclpy.spin_once(n, timeout_sec=0.2)
except KeyboardInterrupt:
    pass
"""


def _env(ros_env: dict[str, str]) -> dict[str, str]:
    return {**ros_env, "PYTHONPATH": os.pathsep.join([str(PKG_SRC), ros_env.get("PYTHONPATH", "")])}


def test_ros_camera_node_publishes_video_frames(tmp_path: Path, ros_env: dict[str, str]) -> None:
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (32, 24))
    for _ in range(5):
        writer.write(np.full((24, 32, 3), 90, np.uint8))
    writer.release()
    env = _env(ros_env)
    cam = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jepa_wm_ros.camera_node",
            "--ros-args",
            "-p",
            f"source:={video}",
            "-p",
            "loop:=true",
            "-p",
            "rate_hz:=20.0",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", LISTENER], env=env, capture_output=True, text=True, timeout=60
        ).stdout
    finally:
        cam.send_signal(signal.SIGINT)
        cam.wait(timeout=10)
    assert "'img': ('rgb8', 32, 24)" in out and "'info'" in out, out
    assert cam.returncode == 0


def test_ros_planner_refuses_depth_images(tmp_path: Path, ros_env: dict[str, str]) -> None:
    import torch

    from jepa_wm.models.checkpoint import save_checkpoint
    from jepa_wm.models.config import model_config
    from jepa_wm.models.world_model import JepaWorldModel

    torch.manual_seed(0)
    ckpt = save_checkpoint(JepaWorldModel(model_config("tiny")), tmp_path / "model")
    env = _env(ros_env)
    planner = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jepa_wm_ros.planner_node",
            "--ros-args",
            "-p",
            f"checkpoint:={ckpt}",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    pub = subprocess.Popen([sys.executable, "-c", PUBLISHER], env=env)
    lines: list[str] = []
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            line = planner.stdout.readline()
            lines.append(line)
            text = "".join(lines)
            if ("refusing image" in text and "no camera yet" in text) or not line:
                break
    finally:
        for p in (pub, planner):
            p.send_signal(signal.SIGINT)
        pub.wait(timeout=10)
        planner.communicate(timeout=20)
    text = "".join(lines)
    assert "refusing image" in text and "16UC1" in text, text
    assert "no camera yet" in text  # and it never planned on the refused frames
