"""The nav launch with real nodes in separate processes (loopback DDS, private domain).

A random tiny 2-D-action / 3-D-state model stands in for a trained one: camera, /odom and
/cmd_vel carry data, the planner's commands move the simulated Husky, and killing the planner
makes the base adapter send a zero twist within 1 s.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hardware.limits import load_robot

ROOT = Path(__file__).resolve().parents[2]
PKG_SRC = ROOT / "ros_ws/src/jepa_wm_ros"

pytestmark = [pytest.mark.ros, pytest.mark.slow]


def _random_nav_checkpoint(path: Path) -> Path:
    import torch

    from jepa_wm.models.checkpoint import save_checkpoint
    from jepa_wm.models.config import model_config, replace
    from jepa_wm.models.world_model import JepaWorldModel

    torch.manual_seed(0)
    cfg = replace(model_config("tiny"), action_dim=2, state_dim=3)
    return save_checkpoint(JepaWorldModel(cfg), path)


def _read_event(proc: subprocess.Popen, timeout: float) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError("probe gave no answer")


def _pid_of(log: Path, name: str) -> int:
    for line in log.read_text().splitlines():
        if f"started {name} (pid" in line:
            return int(line.split("(pid ")[1].split(")")[0])
    raise AssertionError(f"{name} not started:\n{log.read_text()[-3000:]}")


def test_ros_nav_pipeline_moves_base_and_stops_without_planner(
    tmp_path: Path, ros_env: dict[str, str]
) -> None:
    import importlib.util

    if importlib.util.find_spec("jepa_wm_ros") is None:
        pytest.skip("jepa_wm_ros is not installed (make install)")
    env = {**ros_env, "PYTHONPATH": os.pathsep.join([str(PKG_SRC), ros_env.get("PYTHONPATH", "")])}
    ckpt = _random_nav_checkpoint(tmp_path / "model")
    log = tmp_path / "launch.log"
    cmd = [sys.executable, "-m", "jepa_wm.cli.main", "launch",
           str(ROOT / "launch/nav_pipeline.launch.yaml"), f"checkpoint:={ckpt}"]  # fmt: skip
    with open(log, "w") as out:
        launch = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    probe = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("ros_nav_probe.py"))],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready = _read_event(probe, timeout=130)
        assert ready["event"] == "ready", f"{ready}\n{log.read_text()[-4000:]}"
        assert all(n > 0 for n in ready["seen"].values()), ready["seen"]
        assert ready["moved"] > 1e-3  # the planner's commands moved the simulated base
        lim = load_robot("husky").twist_limits  # /cmd_vel is clipped to the Husky's limits
        v, w = ready["max_cmd"]
        assert v + w > 0.0 and v <= lim.linear + 1e-6 and w <= lim.angular + 1e-6, ready

        killed = time.monotonic()
        os.kill(_pid_of(log, "planner_node"), signal.SIGKILL)
        probe.stdin.write(f"kill {killed}\n")
        probe.stdin.flush()
        held = _read_event(probe, timeout=15)
        assert held["delay"] is not None and held["delay"] < 1.0, held
        assert held["zero_after"], held  # and it keeps the base stopped
        assert launch.poll() is None  # the planner is not required: the rest keeps running
        probe.stdin.write("quit\n")
        probe.stdin.flush()
    finally:
        for p in (probe, launch):
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        probe.wait(timeout=10)
        launch.wait(timeout=30)
    text = log.read_text()
    assert "Traceback" not in text and "context is invalid" not in text, text[-3000:]
