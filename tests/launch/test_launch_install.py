"""Install layouts: `colcon build` and `make install` (pip + link_executables.py) each give an
ament prefix where upstream `ros2 launch jepa_wm_ros FILE` finds every launch file, parameter
file, executable and default model; the colcon one runs the grasp pipeline to a success."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jepa_wm.app.launch import parse_launch_file
from tests.launch.oracle import ROOT

pytestmark = [pytest.mark.ros, pytest.mark.slow]
PKG = "jepa_wm_ros"
LAUNCH_FILES = sorted(p.name for p in (ROOT / "launch").glob("*.launch.yaml"))


def _site(prefix: Path) -> Path:
    return prefix / f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


def _env(prefix: Path, tmp: Path) -> dict[str, str]:
    """What `source install/setup.bash` gives, plus this checkout first on the path."""
    path = os.pathsep.join([str(ROOT), str(_site(prefix)), os.environ.get("PYTHONPATH", "")])
    return {
        **os.environ,
        "AMENT_PREFIX_PATH": str(prefix),
        "PYTHONPATH": path,
        "ROS_LOG_DIR": str(tmp / "roslog"),
        "OMP_NUM_THREADS": "1",
    }


def _check_prefix(prefix: Path, launcher: Path, env: dict[str, str], tmp: Path) -> None:
    """Every launch file resolves in package mode, and every node it starts is in lib/<pkg>/."""
    share = prefix / "share" / PKG
    assert (prefix / "share/ament_index/resource_index/packages" / PKG).is_file()
    assert (share / "models/tiny-grasp/model.safetensors").is_file()
    for name in LAUNCH_FILES:
        p = subprocess.run(
            [str(launcher), "print", PKG, name],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert p.returncode == 0 and "ExecuteProcess" in p.stdout + p.stderr, p.stderr
        args = {"out": str(tmp / "out")} if name.startswith(("record", "goal")) else {}
        plan = parse_launch_file(share / "launch" / name, args)
        for node in plan.nodes:
            exe = prefix / "lib" / PKG / node.exec
            assert exe.is_file() and os.access(exe, os.X_OK), exe
            assert all(Path(f).is_file() for f in node.param_files)
        checkpoint = dict(plan.nodes[2].params).get("checkpoint") if len(plan.nodes) > 2 else None
        if checkpoint:  # the default model is found beside the installed launch files
            assert (Path(checkpoint) / "model.json").is_file(), checkpoint


def test_install_pip_layout_make_install_runs_grasp_pipeline_upstream(oracle, tmp_path) -> None:
    launcher, _ = oracle
    prefix = tmp_path / "venv"
    subprocess.run(
        # --ignore-installed: with --prefix alone pip uninstalls the venv's own jepa_wm_ros first
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed"]
        + ["--prefix", str(prefix)]
        + [str(ROOT / "ros_ws/src" / PKG)],
        check=True,
        timeout=300,
    )
    assert not (prefix / "lib" / PKG).exists()  # pip alone: scripts only in bin/
    subprocess.run(
        [sys.executable, str(ROOT / "ros_ws/link_executables.py"), str(prefix)],
        check=True,
        timeout=60,
    )
    env = _env(prefix, tmp_path)
    _check_prefix(prefix, launcher, env, tmp_path)
    _upstream_grasp(launcher, env, tmp_path)


@pytest.mark.skipif(
    shutil.which("colcon", path=str(Path(sys.executable).parent)) is None,
    reason="colcon not installed (dev extra: colcon-core, colcon-ros)",
)
def test_install_colcon_build_runs_grasp_pipeline_upstream(oracle, tmp_path: Path) -> None:
    launcher, _ = oracle
    colcon = Path(sys.executable).parent / "colcon"
    subprocess.run(
        [
            str(colcon),
            "--log-base",
            str(tmp_path / "log"),
            "build",
            "--base-paths",
            str(ROOT / "ros_ws/src"),
            "--build-base",
            str(tmp_path / "build"),
            "--install-base",
            str(tmp_path / "install"),
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=300,
    )
    prefix = tmp_path / "install" / PKG
    env = _env(prefix, tmp_path)
    _check_prefix(prefix, launcher, env, tmp_path)
    _upstream_grasp(launcher, env, tmp_path)


def _upstream_grasp(launcher: Path, env: dict[str, str], tmp_path: Path) -> None:
    """Upstream `ros2 launch jepa_wm_ros grasp_pipeline.launch.yaml episodes:=1` from the prefix
    on AMENT_PREFIX_PATH: one episode runs to its result, no node fails."""
    p = subprocess.run(
        [str(launcher), "run", PKG, "grasp_pipeline.launch.yaml", "episodes:=1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=400,
    )
    out = p.stdout + p.stderr
    results = [
        json.loads(x.split("TASK_RESULT ", 1)[1]) for x in out.splitlines() if "TASK_RESULT" in x
    ]
    assert p.returncode == 0 and len(results) == 1, out[-3000:]
    assert results[0]["subgoals_reached"] >= 1, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
