"""``jepa-wm bench faults``: the fault battery of issue 16, each case with what was expected and
what happened.

Every case breaks something for real in a temporary folder (a writer SIGKILLed mid-episode, a
second writer, metadata consolidated by another tool, a file-size limit hit mid-append, hostile
YAML, an include cycle, an edited checkpoint, bad camera frames) and records the outcome. A case
is ``ok`` when the product did what it promises: one clear line, nothing lost, nothing silent.
The ROS-level cases (socket census, 640x480/1280x720 frames) are ``jepa-wm bench camera`` and
tests/ros/test_ros_dds_loopback.py; the recorder killed mid-episode is not covered here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import types
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
Case = Callable[[Path], tuple[str, str, bool]]  # tmp dir -> (expected, happened, ok)

# Writes 3 episodes of 5 steps, then dies by SIGKILL after the data of a 4th, before its commit.
_KILLED_WRITER = r"""
import os, signal, sys
from jepa_wm.bench.faults import episode
from jepa_wm.data.store import TrajectoryStore
st = TrajectoryStore.create(sys.argv[1], fps=20.0, source={"bench": "faults"})
for i in range(3):
    st.add_episode(episode(i, 5))
TrajectoryStore._commit = lambda self, end: os.kill(os.getpid(), signal.SIGKILL)
st.add_episode(episode(3, 7))
"""

_HOLDER = r"""
import sys, time
from jepa_wm.bench.faults import episode
from jepa_wm.data.store import TrajectoryStore
st = TrajectoryStore.create(sys.argv[1], fps=20.0, source={"bench": "faults"})
st.add_episode(episode(0, 5))
print("READY", flush=True)
time.sleep(30)
"""

_FILE_LIMIT = r"""
import resource, signal, sys
from jepa_wm.bench.faults import episode
from jepa_wm.data.store import TrajectoryStore
from jepa_wm.errors import StoreError
st = TrajectoryStore.create(sys.argv[1], fps=20.0, source={"bench": "faults"})
st.add_episode(episode(0, 5, size=40))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))
try:
    st.add_episode(episode(1, 5, size=40))
except StoreError as exc:
    print(exc)
"""


def episode(seed: int, length: int, size: int = 8) -> dict[str, np.ndarray]:
    """A synthetic episode: rgb uint8 [T,size,size,3], state [T,3], action [T,2], timestamp [T]."""
    rng = np.random.default_rng(seed)
    return {
        "rgb": rng.integers(0, 256, (length, size, size, 3), dtype=np.uint8),
        "state": rng.normal(size=(length, 3)).astype(np.float32),
        "action": rng.normal(size=(length, 2)).astype(np.float32),
        "timestamp": np.arange(length, dtype=np.float64) / 20.0,
    }


def _python(script: str, *args: str, **kw) -> subprocess.Popen:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw,
    )  # fmt: skip


def _error(fn: Callable[[], object]) -> str:
    try:
        fn()
    except Exception as exc:  # the case reports whatever happened, traceback-free
        return f"{type(exc).__name__}: {exc}"
    return "no error"


def killed_writer_then_train(tmp: Path) -> tuple[str, str, bool]:
    from jepa_wm.train.data import prepare_data

    path = tmp / "killed.zarr"
    _python(_KILLED_WRITER, str(path)).communicate(timeout=120)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "found an interrupted episode": the case itself
            data = prepare_data([path], clip_len=2, frame_skip=1, val_fraction=0.34, seed=0)
        want = np.concatenate([episode(i, 5)["action"] for i in range(3)]).mean(0)
        ok = np.allclose(data.stats["action"]["mean"], want, rtol=1e-5)
        happened = f"trained on {len(data.train) + len(data.val)} clips of the 3 committed episodes"
    except Exception as exc:
        happened, ok = f"{type(exc).__name__}: {exc}", False
    return "training data from the 3 committed episodes only", happened, ok


def second_writer(tmp: Path) -> tuple[str, str, bool]:
    from jepa_wm.data.store import TrajectoryStore

    path = tmp / "held.zarr"
    holder = _python(_HOLDER, str(path))
    try:
        holder.stdout.readline()
        happened = _error(lambda: TrajectoryStore.open(path, mode="a"))
    finally:
        holder.kill()
        holder.wait()
    ok = f"pid {holder.pid}" in happened and "\n" not in happened
    return "second writer refused in one line naming the holder", happened, ok


def stale_consolidated(tmp: Path) -> tuple[str, str, bool]:
    import zarr

    from jepa_wm.data.store import TrajectoryStore

    path = tmp / "consolidated.zarr"
    with TrajectoryStore.create(path, fps=20.0, source={}) as st:
        st.add_episode(episode(0, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zarr.consolidate_metadata(str(path))
    for i in (1, 2):
        with TrajectoryStore.open(path, mode="a") as st:
            st.add_episode(episode(i, 5))
    ends = TrajectoryStore.open(path).episode_ends.tolist()
    return "3 episodes, ends [4, 9, 14]", f"ends {ends}", ends == [4, 9, 14]


def io_error_mid_append(tmp: Path) -> tuple[str, str, bool]:
    from jepa_wm.data.store import TrajectoryStore

    path = tmp / "limited.zarr"
    out, _ = _python(_FILE_LIMIT, str(path)).communicate(timeout=120)
    st = TrajectoryStore.open(path)
    happened = f"{out.strip()} | store: {st.num_episodes} episode(s), {st.num_steps} steps"
    ok = "File too large (errno 27)" in out and st.num_episodes == 1 and st.num_steps == 5
    return "one line; the store as it was (1 episode, 5 steps)", happened, ok


def _bomb(levels: int = 9, width: int = 9) -> str:
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def _timed(fn: Callable[[], object]) -> tuple[str, float]:
    t0 = time.perf_counter()
    msg = _error(fn)
    return msg, time.perf_counter() - t0


def train_config_bomb(tmp: Path) -> tuple[str, str, bool]:
    from jepa_wm.train.config import load_train_config

    cfg = tmp / "bomb.yaml"
    cfg.write_text("model:\n  predictor: {heads: 4}\n" + _bomb())
    msg, seconds = _timed(lambda: load_train_config(cfg))
    ok = msg.startswith("ConfigError") and str(cfg) in msg and seconds < 5
    return "ConfigError naming the file and line, in < 5 s", f"{msg} ({seconds:.2f} s)", ok


def param_file_bomb(tmp: Path) -> tuple[str, str, bool]:
    from jepa_wm.app.launch.parser import parse_launch_file

    params = tmp / "params.yaml"
    params.write_text("/**:\n  ros__parameters: {x: 1}\n" + _bomb())
    launch = tmp / "bomb.launch.yaml"
    launch.write_text(f"launch:\n- node: {{pkg: p, exec: e, param: [{{from: {params}}}]}}\n")
    msg, seconds = _timed(lambda: parse_launch_file(launch))
    ok = msg.startswith("LaunchError") and str(params) in msg and seconds < 5
    return "LaunchError naming the parameter file, in < 5 s", f"{msg} ({seconds:.2f} s)", ok


def include_cycle(tmp: Path) -> tuple[str, str, bool]:
    from jepa_wm.app.launch.parser import parse_launch_file

    for name, nxt in (("a", "b"), ("b", "a")):  # $(dirname): relative paths follow the cwd
        (tmp / f"{name}.launch.yaml").write_text(
            f"launch:\n- include: {{file: $(dirname)/{nxt}.launch.yaml}}\n"
        )
    msg = _error(lambda: parse_launch_file(tmp / "a.launch.yaml"))
    ok = "include cycle" in msg and "\n" not in msg and "b.launch.yaml:2" in msg
    return "one line with the chain of files", msg, ok


def batch_size_true(tmp: Path) -> tuple[str, str, bool]:
    from jepa_wm.train.config import load_train_config

    cfg = tmp / "typo.yaml"
    cfg.write_text("batch_size: true\n")
    msg = _error(lambda: load_train_config(cfg))
    ok = f"{cfg}: batch_size: expected int, got true" in msg
    return "file, key path and expected type", msg, ok


def checkpoint_edit(tmp: Path) -> tuple[str, str, bool]:
    import torch

    from jepa_wm.models.checkpoint import load_world_model, save_checkpoint
    from jepa_wm.models.config import model_config
    from jepa_wm.models.world_model import JepaWorldModel

    torch.manual_seed(0)
    run = save_checkpoint(JepaWorldModel(model_config("tiny")), tmp / "run")
    doc = json.loads((run / "model.json").read_text())
    doc["config"]["predictor"]["heads"] = 8
    (run / "model.json").write_text(json.dumps(doc))
    msg = _error(lambda: load_world_model(run))
    ok = "config.predictor.heads is 8 in model.json" in msg
    return "refused, naming config.predictor.heads", msg, ok


def image_refusals(tmp: Path) -> tuple[str, str, bool]:
    try:
        from jepa_wm_ros.conversions import ImageRefusals
    except ImportError:
        return "every defect logged once per reason", "skipped: ROS messages not installed", True
    lines: list[str] = []
    refusals = ImageRefusals(lines.append, period_s=60.0)
    frames = [
        dict(height=4, width=4, encoding="rgb8", step=12, data=bytes(40)),  # short
        dict(height=0, width=0, encoding="rgb8", step=0, data=b""),  # 0x0
        dict(height=4, width=4, encoding="rgb8", step=16, data=bytes(48)),  # padding missing
    ]
    for _ in range(5):
        for f in frames:
            refusals.decode(types.SimpleNamespace(**f), "/camera/image_raw")
    return "3 lines: one per defect, repeats rate-limited", f"{len(lines)} lines", len(lines) == 3


CASES: dict[str, Case] = {
    "store_killed_mid_write_then_train": killed_writer_then_train,
    "store_second_writer": second_writer,
    "store_stale_consolidated_metadata": stale_consolidated,
    "store_io_error_mid_append": io_error_mid_append,
    "yaml_alias_bomb_train_config": train_config_bomb,
    "yaml_alias_bomb_parameter_file": param_file_bomb,
    "launch_include_cycle": include_cycle,
    "config_batch_size_true": batch_size_true,
    "checkpoint_config_edited": checkpoint_edit,
    "planner_image_refusals": image_refusals,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="run only these")


def run(args: argparse.Namespace) -> dict:
    names = args.case or list(CASES)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench_faults_") as tmp:
        for name in names:
            folder = Path(tmp) / name
            folder.mkdir()
            t0 = time.perf_counter()
            expected, happened, ok = CASES[name](folder)
            results.append(
                {
                    "case": name,
                    "expected": expected,
                    "happened": happened,
                    "ok": bool(ok),
                    "seconds": round(time.perf_counter() - t0, 3),
                }
            )
    return {
        "bench": "faults",
        "cases": results,
        "ok": sum(r["ok"] for r in results),
        "failed": [r["case"] for r in results if not r["ok"]],
    }
