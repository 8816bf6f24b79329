"""Hostile launch files: include cycles and depth, alias bombs in launch and parameter files.

Before: an include cycle gave a 2,021-line RecursionError and an alias bomb in a launch
parameter hung past 60 s at 3 GB. Now each is one LaunchError line naming the files.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jepa_wm.app.launch.parser import MAX_INCLUDE_DEPTH, parse_launch_file
from jepa_wm.errors import LaunchError
from tests.test_safe_yaml import bomb, many_aliases

ROOT = Path(__file__).resolve().parents[2]


def _include(target: Path) -> str:
    # absolute: a relative include resolves against the working directory, as upstream's does
    return f"launch:\n- arg: {{name: x, default: '1'}}\n- include: {{file: {target}}}\n"


def test_self_include_is_one_line(tmp_path: Path) -> None:
    a = tmp_path / "a.launch.yaml"
    a.write_text(_include(a))
    with pytest.raises(LaunchError) as info:
        parse_launch_file(a)
    assert str(info.value) == f"{a}: include cycle: {a}:3 -> {a}"


def test_three_file_cycle_names_the_chain(tmp_path: Path) -> None:
    for name, nxt in (("a", "b"), ("b", "c"), ("c", "a")):
        (tmp_path / f"{name}.launch.yaml").write_text(_include(tmp_path / f"{nxt}.launch.yaml"))
    a, b, c = (tmp_path / f"{n}.launch.yaml" for n in "abc")
    with pytest.raises(LaunchError) as info:
        parse_launch_file(a)
    assert str(info.value) == f"{a}: include cycle: {a}:3 -> {b}:3 -> {c}:3 -> {a}"


def test_include_depth_is_bounded(tmp_path: Path) -> None:
    n = MAX_INCLUDE_DEPTH + 3  # a chain of distinct files, no cycle
    for i in range(n):
        (tmp_path / f"f{i}.launch.yaml").write_text(_include(tmp_path / f"f{i + 1}.launch.yaml"))
    (tmp_path / f"f{n}.launch.yaml").write_text("launch: []\n")
    with pytest.raises(LaunchError, match=f"includes nested deeper than {MAX_INCLUDE_DEPTH}"):
        parse_launch_file(tmp_path / "f0.launch.yaml")
    parse_launch_file(tmp_path / f"f{n - MAX_INCLUDE_DEPTH}.launch.yaml")  # at the limit: fine


def test_cycle_through_the_cli_is_one_line(tmp_path: Path) -> None:
    a = tmp_path / "a.launch.yaml"
    a.write_text(_include(a))
    out = subprocess.run(
        [sys.executable, "-m", "jepa_wm.cli.main", "launch", str(a)],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert out.returncode == 1 and out.stderr.strip().count("\n") == 0, out.stderr[-1500:]
    assert "include cycle" in out.stderr


@pytest.mark.parametrize("body", [bomb(9, 9), many_aliases(100)])
def test_bomb_in_a_parameter_file_is_refused(tmp_path: Path, body: str) -> None:
    params = tmp_path / "params.yaml"
    params.write_text("/**:\n  ros__parameters:\n    ok: 1\n" + body)
    launch = tmp_path / "a.launch.yaml"
    launch.write_text(
        f"launch:\n- node:\n    pkg: p\n    exec: e\n    param:\n    - from: {params}\n"
    )
    with pytest.raises(LaunchError, match=rf"^{params}:\d+: invalid parameter file \({launch}:6\)"):
        parse_launch_file(launch)


def test_bomb_in_a_launch_file_is_refused(tmp_path: Path) -> None:
    launch = tmp_path / "a.launch.yaml"
    launch.write_text(bomb(9, 9) + "launch:\n- node: {pkg: p, exec: e, args: *a8}\n")
    with pytest.raises(LaunchError, match=rf"^{launch}:6: invalid YAML: more than 100000 nodes"):
        parse_launch_file(launch)
