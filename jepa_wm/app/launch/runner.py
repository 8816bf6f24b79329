"""Start the nodes of a ``LaunchPlan`` as separate processes and shut them down cleanly.

Each node runs in its own session (process group), started without a shell, with the command
line upstream launch_ros builds (``node_command``).
Its output lines are printed prefixed with ``[name]``. On Ctrl-C / SIGTERM, or when a node
marked ``on_exit: shutdown`` exits, every group gets SIGINT, then SIGTERM after
``sigterm_timeout``, then SIGKILL after ``sigkill_timeout``: no process is left behind. Children
also get PR_SET_PDEATHSIG, so even a SIGKILLed runner leaves no orphan nodes.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shlex
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from jepa_wm.app.dds import loopback_dds_env
from jepa_wm.app.launch.parser import NodeSpec
from jepa_wm.app.launch.substitutions import (
    SubstitutionError,
    ament_prefix_path_env,
    find_package_prefix,
)
from jepa_wm.app.launch.values import ParamValue
from jepa_wm.errors import LaunchError


def resolve_executable(pkg: str, exe: str) -> Path:
    """``lib/<pkg>/<exec>`` (colcon) or ``bin/<exec>`` (pip) under the package's prefix."""
    try:
        prefix = find_package_prefix(pkg)
    except SubstitutionError as exc:
        raise LaunchError(str(exc)) from None
    for cand in (prefix / "lib" / pkg / exe, prefix / "bin" / exe):
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    raise LaunchError(
        f"executable {exe!r} of package {pkg!r} not found in {prefix}/lib/{pkg} or {prefix}/bin"
    )


def write_param_file(directory: Path, name: str, value: ParamValue) -> Path:
    """One ``{name, value}`` entry as a ROS parameter file for all nodes (``/**``), as upstream
    launch_ros writes it; ``directory`` must exist."""
    fd, path = tempfile.mkstemp(prefix="launch_params_", suffix=".yaml", dir=directory)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump({"/**": {"ros__parameters": {name: value}}}, fh, default_flow_style=False)
    return Path(path)


def node_command(
    spec: NodeSpec, params_dir: Path, executable: Path | str | None = None
) -> list[str]:
    """argv for one node, in upstream launch_ros's order.

    ``EXEC ARGS [--ros-args ROS_ARGS] --ros-args [-r __node:=N] [-r __ns:=NS]
    (--params-file F)* (-r from:=to)*``: every ``param`` entry becomes a ``--params-file`` in file
    order (a ``{name, value}`` one is written to ``params_dir``), so a later entry overrides an
    earlier one as it does upstream (rcl lets ``-p`` beat every file, whatever the order).
    """
    exe = str(executable or resolve_executable(spec.pkg, spec.exec))
    argv = [exe, *spec.args]
    if spec.ros_args:
        argv += ["--ros-args", *spec.ros_args]
    argv.append("--ros-args")
    if spec.name:
        argv += ["-r", f"__node:={spec.name}"]
    if spec.namespace:
        argv += ["-r", f"__ns:={spec.namespace}"]
    for item in spec.parameters:
        path = item.file or write_param_file(params_dir, item.name, item.value)
        argv += ["--params-file", str(path)]
    for src, dst in spec.remaps:
        argv += ["-r", f"{src}:={dst}"]
    return argv


def child_env(extra: tuple[tuple[str, str], ...] = ()) -> dict[str, str]:
    """The nodes' environment: ament index on path, unbuffered output, loopback DDS by default."""
    env = dict(os.environ)
    env["AMENT_PREFIX_PATH"] = ament_prefix_path_env()
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    env.setdefault("RCUTILS_COLORIZED_OUTPUT", "0")
    env.update(dict(extra))
    return loopback_dds_env(env)  # LOCALHOST -> the loopback-only Fast DDS profile


def _set_pdeathsig() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class _Proc:
    spec: NodeSpec
    argv: list[str]
    popen: subprocess.Popen | None = None
    reader: threading.Thread | None = None
    returncode: int | None = None


class LaunchRunner:
    """Runs nodes until interrupted, a required node exits, or all nodes have exited."""

    def __init__(self, nodes: list[NodeSpec], write: Callable[[str], None] | None = None) -> None:
        # The parameter files of {name, value} entries live as long as the runner.
        self._params_dir = tempfile.TemporaryDirectory(prefix="jepa_wm_launch_")
        params = Path(self._params_dir.name)
        self._procs = [_Proc(spec, node_command(spec, params)) for spec in nodes]
        self._write = write or (lambda line: print(line, flush=True))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.reason = ""

    def _log(self, text: str) -> None:
        with self._lock:
            self._write(f"[launch] {text}")

    def _pump(self, proc: _Proc) -> None:
        assert proc.popen is not None and proc.popen.stdout is not None
        for raw in proc.popen.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            if proc.spec.output in ("screen", "both"):
                with self._lock:
                    self._write(f"[{proc.spec.label}] {line}")

    def _start(self, proc: _Proc) -> None:
        proc.popen = subprocess.Popen(
            proc.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=child_env(proc.spec.env),
            start_new_session=True,
            preexec_fn=_set_pdeathsig,
        )
        proc.returncode = None
        proc.reader = threading.Thread(target=self._pump, args=(proc,), daemon=True)
        proc.reader.start()
        self._log(f"started {proc.spec.label} (pid {proc.popen.pid}): {shlex.join(proc.argv)}")

    def request_stop(self, reason: str = "stop requested") -> None:
        """Ask ``run`` to shut everything down (thread- and signal-safe)."""
        if not self._stop.is_set():
            self.reason = reason
            self._stop.set()

    def run(self, install_signal_handlers: bool = True, poll_s: float = 0.05) -> int:
        """Start all nodes and supervise them; returns 0, or 1 if a required node failed.

        Upstream ``ros2 launch`` returns 0 even when an ``on_exit: shutdown`` node fails; the
        non-zero code here is deliberate, so scripts and CI notice the failure."""
        old = {}
        if install_signal_handlers:
            for sig in (signal.SIGINT, signal.SIGTERM):
                old[sig] = signal.signal(
                    sig, lambda s, _f: self.request_stop(signal.Signals(s).name)
                )
        rc = 0
        try:
            for proc in self._procs:
                self._start(proc)
            rc = self._supervise(poll_s)
        finally:
            self.shutdown()
            for sig, handler in old.items():
                signal.signal(sig, handler)
        return rc

    def _supervise(self, poll_s: float) -> int:
        while not self._stop.wait(poll_s):
            alive = 0
            for proc in self._procs:
                code = proc.popen.poll() if proc.popen else None
                if code is None:
                    alive += 1
                    continue
                if proc.returncode is not None:
                    continue
                proc.returncode = code
                self._log(f"{proc.spec.label} exited with code {code}")
                if proc.spec.required:
                    self.request_stop(f"required node {proc.spec.label} exited ({code})")
                    return 0 if code == 0 else 1
                if proc.spec.respawn:
                    time.sleep(1.0)  # like launch's respawn_delay, avoids a tight crash loop
                    self._start(proc)
                    alive += 1
            if alive == 0:
                self.reason = "all nodes exited"
                return 0 if all(p.returncode == 0 for p in self._procs) else 1
        return 0

    def _signal_all(self, sig: signal.Signals) -> None:
        for proc in self._procs:
            if proc.popen and proc.popen.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.popen.pid, sig)

    def _wait_all(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        for proc in self._procs:
            if proc.popen is None:
                continue
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=max(0.0, deadline - time.monotonic()))
        return all(p.popen is None or p.popen.poll() is not None for p in self._procs)

    def shutdown(self) -> None:
        """SIGINT, then SIGTERM, then SIGKILL to every node's process group, with timeouts."""
        if any(p.popen and p.popen.poll() is None for p in self._procs):
            self._log(f"shutting down ({self.reason or 'done'})")
        term = max((p.spec.sigterm_timeout for p in self._procs), default=5.0)
        kill = max((p.spec.sigkill_timeout for p in self._procs), default=5.0)
        for sig, timeout in ((signal.SIGINT, term), (signal.SIGTERM, kill), (signal.SIGKILL, 2.0)):
            self._signal_all(sig)
            if self._wait_all(timeout):
                break
            self._log(f"escalating: nodes still running after {sig.name}")
        # A node may have left children in its group after exiting itself: clean those up too.
        for proc in self._procs:
            if proc.popen:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.popen.pid, signal.SIGKILL)
                if proc.reader:
                    proc.reader.join(timeout=1.0)
        self._params_dir.cleanup()

    @property
    def pids(self) -> list[int]:
        return [p.popen.pid for p in self._procs if p.popen]
