"""Every image the planner refuses is logged with its reason, rate-limited per reason.

Before: refusals were logged once per *encoding*, so after one refused rgb8 frame, later rgb8
defects (short data, 0x0, a declared row padding the data lacks) logged only "camera stale".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("sensor_msgs.msg")
from jepa_wm_ros.conversions import ImageRefusals
from sensor_msgs.msg import Image

ROOT = Path(__file__).resolve().parents[2]
PKG_SRC = ROOT / "ros_ws/src/jepa_wm_ros"

# Three rgb8 defects, then the same again with other sizes (same reasons).
DEFECTS = {
    "short": dict(height=4, width=4, encoding="rgb8", step=12, data=bytes(40)),
    "empty": dict(height=0, width=0, encoding="rgb8", step=0, data=b""),
    "padding": dict(height=4, width=4, encoding="rgb8", step=16, data=bytes(48)),
    "encoding": dict(height=4, width=4, encoding="16UC1", step=8, data=bytes(32)),
}


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_each_reason_logs_at_once_and_repeats_are_rate_limited() -> None:
    lines: list[str] = []
    clock = FakeClock()
    refusals = ImageRefusals(lines.append, period_s=5.0, clock=clock)
    good = Image(height=2, width=2, encoding="rgb8", step=6, data=bytes(range(12)))
    assert refusals.decode(good, "/cam").shape == (2, 2, 3)
    for name in ("short", "empty", "padding", "encoding"):
        assert refusals.decode(Image(**DEFECTS[name]), "/cam") is None
    assert len(lines) == 4  # a new reason is logged at once, whatever the encoding before
    assert "needs 48 bytes, buffer has 40" in lines[0]
    assert "empty size 0x0" in lines[1]
    assert "padded to step 16" in lines[2] and "unpadded rows" in lines[2]
    assert "a 16UC1 image holds 16-bit samples" in lines[3]  # the one rule for 16-bit images
    # The same defect at another size is the same reason: suppressed, then counted.
    short8 = Image(height=8, width=8, encoding="rgb8", step=24, data=bytes(100))
    for _ in range(10):
        clock.t += 0.1
        assert refusals.decode(short8, "/cam") is None
    assert len(lines) == 4
    clock.t += 5.0
    refusals.decode(short8, "/cam")
    assert len(lines) == 5 and "(10 more since the last such line)" in lines[4]
    refusals.decode(Image(**DEFECTS["short"]), "/goal")  # another topic: its own reason
    assert len(lines) == 6 and "on /goal:" in lines[5]


PUBLISHER = """
import sys, time, rclpy
from rclpy.node import Node
from sensor_msgs.msg import Image
from tests.ros.test_ros_image_refusals import DEFECTS
rclpy.init()
n = Node('defect_pub')
pub = n.create_publisher(Image, '/camera/image_raw', 1)
end = time.monotonic() + 40
try:
    while time.monotonic() < end:
        for name in ('short', 'empty', 'padding'):
            for _ in range(5):
                pub.publish(Image(**DEFECTS[name]))
                rclpy.spin_once(n, timeout_sec=0.05)
except KeyboardInterrupt:
    pass
"""


@pytest.mark.ros
def test_ros_planner_logs_every_rgb8_defect(tmp_path: Path, ros_env: dict[str, str]) -> None:
    import torch

    from jepa_wm.models.checkpoint import save_checkpoint
    from jepa_wm.models.config import model_config
    from jepa_wm.models.world_model import JepaWorldModel

    torch.manual_seed(0)
    ckpt = save_checkpoint(JepaWorldModel(model_config("tiny")), tmp_path / "model")
    env = {**ros_env, "PYTHONPATH": os.pathsep.join([str(PKG_SRC), str(ROOT)])}
    planner = subprocess.Popen(
        [sys.executable, "-m", "jepa_wm_ros.planner_node", "--ros-args", "-p",
         f"checkpoint:={ckpt}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    pub = subprocess.Popen([sys.executable, "-c", PUBLISHER], env=env, cwd=ROOT)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(planner.stdout), daemon=True)
    reader.start()
    wanted = ("needs 48 bytes", "empty size 0x0", "padded to step 16")
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and planner.poll() is None:
            if all(any(w in x for x in list(lines)) for w in wanted):
                time.sleep(3.0)  # keep the defects coming: repeats must stay quiet
                break
            time.sleep(0.2)
    finally:
        for p in (pub, planner):
            p.send_signal(signal.SIGINT)
        pub.wait(timeout=10)
        planner.wait(timeout=20)
        reader.join(timeout=10)
    text = "".join(lines)
    for w in wanted:
        assert w in text, text
    refusals = [x for x in text.splitlines() if "refusing image" in x]
    assert len(refusals) <= 3 * 2, "\n".join(refusals)  # one per reason, at most once more
