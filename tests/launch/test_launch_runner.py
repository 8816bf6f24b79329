"""The launch runner: real processes, prefixed output, clean shutdown, no orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jepa_wm.app.launch import LaunchRunner, parse_launch_file
from jepa_wm.app.launch.runner import resolve_executable
from jepa_wm.errors import LaunchError

# Fake nodes: one ignores SIGINT (forces escalation), one forks a grandchild, one exits.
STUBBORN = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint('stubborn up', flush=True)\ntime.sleep(60)\n"
FORKER = (
    "import subprocess, sys, time\n"
    "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    "print('child', c.pid, flush=True)\ntime.sleep(60)\n"
)
QUITTER = (
    "import sys, time\nprint('args', sys.argv[1:], flush=True)\ntime.sleep(1.0)\nsys.exit(3)\n"
)


def _fake_prefix(root: Path) -> Path:
    (root / "share/ament_index/resource_index/packages").mkdir(parents=True)
    (root / "share/ament_index/resource_index/packages/fake_pkg").write_text("")
    for sub, name, code in (
        ("lib/fake_pkg", "stubborn", STUBBORN),
        ("bin", "forker", FORKER),
        ("lib/fake_pkg", "quitter", QUITTER),
    ):
        (root / sub).mkdir(parents=True, exist_ok=True)
        exe = root / sub / name
        exe.write_text(f"#!{sys.executable}\n{code}")
        exe.chmod(0o755)
    return root


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); treat it as gone.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


LAUNCH = """launch:
- node: {pkg: fake_pkg, exec: stubborn, name: stub, sigterm_timeout: 1.0, sigkill_timeout: 1.0}
- node: {pkg: fake_pkg, exec: forker, name: fork}
- node: {pkg: fake_pkg, exec: quitter, name: quit, on_exit: shutdown, param: [{name: k, value: 2}]}
"""


def test_launch_runner_required_exit_shuts_all_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = _fake_prefix(tmp_path / "prefix")
    monkeypatch.setenv("AMENT_PREFIX_PATH", str(prefix))
    assert resolve_executable("fake_pkg", "forker") == prefix / "bin/forker"
    f = tmp_path / "a.launch.yaml"
    f.write_text(LAUNCH)
    lines: list[str] = []
    runner = LaunchRunner(parse_launch_file(f).nodes, write=lines.append)
    t0 = time.monotonic()
    rc = runner.run(install_signal_handlers=False)
    assert rc == 1  # the required node exited with code 3
    assert time.monotonic() - t0 < 15
    grandchild = int(next(line for line in lines if line.startswith("[fork] child")).split()[-1])
    assert not any(_alive(p) for p in [*runner.pids, grandchild])
    assert "[stub] stubborn up" in lines
    assert any(
        "[quit] args ['--ros-args', '-r', '__node:=quit', '--params-file'" in x for x in lines
    )
    assert not Path(runner._params_dir.name).exists()  # its parameter files are cleaned up
    assert any("escalating" in x for x in lines)  # stubborn ignored SIGINT


def test_launch_missing_executable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMENT_PREFIX_PATH", str(_fake_prefix(tmp_path / "prefix")))
    with pytest.raises(LaunchError, match="executable 'nope' of package 'fake_pkg' not found"):
        resolve_executable("fake_pkg", "nope")


def test_launch_cli_sigint_leaves_no_orphans(tmp_path: Path) -> None:
    prefix = _fake_prefix(tmp_path / "prefix")
    f = tmp_path / "b.launch.yaml"
    f.write_text("launch:\n- node: {pkg: fake_pkg, exec: forker, name: fork}\n")
    env = {**os.environ, "AMENT_PREFIX_PATH": str(prefix), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jepa_wm.cli.main", "launch", str(f)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        out.append(line)
        if line.startswith("[fork] child"):
            break
    grandchild = int(out[-1].split()[-1])
    node_pid = int(next(x for x in out if "started fork" in x).split("pid ")[1].split(")")[0])
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, rest
    assert "shutting down (SIGINT)" in rest
    time.sleep(0.2)
    assert not _alive(node_pid) and not _alive(grandchild)
