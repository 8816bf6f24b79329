"""Run one launch file through upstream ``ros2 launch`` (the oracle in ../shared) and through
``jepa-wm launch``, and reduce each run to what a conformance test compares.

The oracle (launch 3.7.1 / launch_ros 0.28.0, unmodified) is built once per test session over
this venv by ``install.sh``; its ``probe`` package has one executable that prints the node's
name, namespace, remapped ``chatter``, parameters with their Python types, non-ROS argv and log
level as ``PROBE {json}`` (see ``../shared/oracles/ros2_launch/probe``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Upstream writes each {name, value} entry to /tmp/launch_params_XXXX, we to a per-run folder.
_PARAMS_FILE = re.compile(r"\S*launch_params_\S*")


def shared_dir() -> Path | None:
    """``../shared`` beside the clone (CI), else /work/shared (a worktree here); None if absent."""
    for cand in (ROOT.parent / "shared", Path("/work/shared")):
        if (cand / "oracles/ros2_launch/install.sh").is_file():
            return cand
    return None


@dataclass
class Run:
    """What one runner did with a launch file."""

    rc: int
    commands: list[str] = field(default_factory=list)  # normalised, in start order
    probes: list[dict] = field(default_factory=list)  # sorted by node name
    output: str = ""


def _normalise(argv: list[str]) -> str:
    return _PARAMS_FILE.sub("<params>", " ".join(argv))


def _probes(out: str) -> list[dict]:
    found = [
        json.loads(line.split("PROBE ", 1)[1]) for line in out.splitlines() if "PROBE {" in line
    ]
    return sorted(found, key=lambda p: (p["ns"], p["name"]))


def run_oracle(launcher: Path, probe_prefix: Path, file: Path, args: list[str], cwd: Path) -> Run:
    env = {**os.environ, "ORACLE_SHOW_CMD": "1", "AMENT_PREFIX_PATH": str(probe_prefix)}
    env.update(ROS_HOME=str(cwd / ".ros"), ROS_LOG_DIR=str(cwd / ".ros/log"))
    p = subprocess.run(
        [str(launcher), "run", str(file), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = p.stdout + p.stderr
    cmds = [
        _normalise(line.split("[oracle] CMD ", 1)[1].split(" "))
        for line in out.splitlines()
        if line.startswith("[oracle] CMD ")
    ]
    # Upstream logs errors and returns 1 for a file it refuses; a node's failure still gives 0.
    return Run(p.returncode, cmds, _probes(out), out)


def run_ours(probe_prefix: Path, file: Path, args: list[str], cwd: Path) -> Run:
    env = {**os.environ, "AMENT_PREFIX_PATH": str(probe_prefix), "PYTHONPATH": _pythonpath()}
    env.update(ROS_HOME=str(cwd / ".ros"), ROS_LOG_DIR=str(cwd / ".ros/log"))
    p = subprocess.run(
        [sys.executable, "-m", "jepa_wm.cli.main", "launch", str(file), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = p.stdout + p.stderr
    cmds = [
        _normalise(shlex.split(line.split("): ", 1)[1]))
        for line in out.splitlines()
        if line.startswith("[launch] started ")
    ]
    return Run(p.returncode, cmds, _probes(out), out)


def _pythonpath() -> str:
    extra = [str(ROOT), str(ROOT / "ros_ws/src/jepa_wm_ros")]
    return os.pathsep.join([*extra, *filter(None, [os.environ.get("PYTHONPATH", "")])])


def build_oracle(shared: Path, out: Path) -> tuple[Path, Path]:
    """``(ros2-launch wrapper, probe prefix)`` built under ``out`` over this venv (~15 s)."""
    oracle = shared / "oracles/ros2_launch"
    venv = Path(sys.prefix)
    subprocess.run(
        ["bash", str(oracle / "install.sh"), str(venv), str(out / "venv")],
        check=True,
        capture_output=True,
        timeout=300,
    )
    subprocess.run(
        ["bash", str(oracle / "probe/make_prefix.sh"), sys.executable, str(out / "prefix")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out / "venv/bin/ros2-launch", out / "prefix"
