"""The YAML launch subset: the project's files parse; malformed files name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jepa_wm.app.launch import node_command, parse_launch_file
from jepa_wm.errors import LaunchError

ROOT = Path(__file__).resolve().parents[2]


def test_launch_grasp_pipeline_parses() -> None:
    plan = parse_launch_file(ROOT / "launch/grasp_pipeline.launch.yaml", {"seed": "7"})
    names = [n.name for n in plan.nodes]
    assert names == ["sim", "arm_adapter", "planner_node", "task_node"]
    sim = plan.nodes[0]
    assert ("seed", 7) in sim.params and sim.required  # typed as upstream types it
    assert all(Path(f).is_file() for n in plan.nodes for f in n.param_files)
    assert dict(plan.nodes[2].params)["planner_config"].endswith("launch/params/planner_grasp.yaml")
    assert "checkpoint" in plan.declared and plan.nodes[3].required
    assert dict(plan.nodes[3].params)["goal_set"] == ""  # the task's own subgoals by default
    played = parse_launch_file(ROOT / "launch/grasp_pipeline.launch.yaml", {"goal_set": "g/pick"})
    assert dict(played.nodes[3].params)["goal_set"] == "g/pick"


def test_launch_goal_capture_parses() -> None:
    plan = parse_launch_file(
        ROOT / "launch/goal_capture.launch.yaml", {"out": "g", "view": "wrist"}
    )
    (node,) = plan.nodes
    assert node.exec == "goal_capture"
    assert dict(node.params) == {"out": "g", "views": ["wrist"], "topics": ["/camera/image_raw"]}


def test_launch_nav_pipeline_parses() -> None:
    plan = parse_launch_file(ROOT / "launch/nav_pipeline.launch.yaml", {"twist_stamped": "true"})
    execs = [n.exec for n in plan.nodes]
    assert execs == ["sim_node", "base_adapter", "planner_node", "task_node"]
    assert ("twist_stamped", True) in plan.nodes[1].params
    assert ("env", "husky-nav") in plan.nodes[3].params  # the goal view comes from the task node
    assert all(Path(f).is_file() for n in plan.nodes for f in n.param_files)


def test_launch_record_sim_parses() -> None:
    plan = parse_launch_file(ROOT / "launch/record_sim.launch.yaml", {"out": "/tmp/x"})
    sim, rec = plan.nodes
    assert ("driver", "expert") in sim.params and ("output", "/tmp/x") in rec.params
    topics = dict(rec.params)["topics"]
    assert {"/sim/state", "/sim/action", "/episode_active", "/camera/image_raw"} <= set(topics)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_launch_include_group_namespace_and_command(tmp_path: Path) -> None:
    _write(
        tmp_path / "child.launch.yaml",
        """launch:
- arg: {name: who, default: nobody}
- node: {pkg: p, exec: e, name: "n_$(var who)", namespace: inner,
         remap: [{from: /a, to: /b}], param: [{name: list, value: [1, 2]}, {name: flag, value: true}]}
""",
    )
    top = _write(
        tmp_path / "top.launch.yaml",
        """launch:
- arg: {name: x, default: "1"}
- let: {name: y, value: "$(var x)0"}
- group:
  - push_ros_namespace: {namespace: robot}
  - include:
      file: "$(dirname)/child.launch.yaml"
      arg: [{name: who, value: "$(var y)"}]
- node: {pkg: p, exec: e, name: skipped, if: "false"}
- node: {pkg: p, exec: e, name: env, param: [{name: home, value: "$(env JEPA_TEST_VAR fallback)"}]}
""",
    )
    plan = parse_launch_file(top, {"x": "4"})
    child, env_node = plan.nodes
    assert child.name == "n_40" and child.namespace == "/robot/inner"
    assert dict(child.params) == {"list": [1, 2], "flag": True}
    assert env_node.namespace == "" and dict(env_node.params)["home"] == "fallback"
    argv = node_command(child, tmp_path, executable="/bin/e")
    assert argv[:6] == ["/bin/e", "--ros-args", "-r", "__node:=n_40", "-r", "__ns:=/robot/inner"]
    assert argv[6::2] == ["--params-file", "--params-file", "-r"] and argv[-1] == "/a:=/b"
    written = [yaml.safe_load(Path(f).read_text()) for f in argv[7:10:2]]
    assert written == [{"/**": {"ros__parameters": v}} for v in ({"list": [1, 2]}, {"flag": True})]


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (
            "launch:\n- arg: {name: a, default: '1'}\n- nodee: {pkg: p, exec: e}\n",
            3,
            "unknown tag 'nodee'",
        ),
        (
            "launch:\n- node:\n    pkg: p\n    exec: e\n    parm: []\n",
            5,
            "unknown attribute 'parm'",
        ),
        ("launch:\n- node:\n    pkg: p\n    exec: '$(var nope)'\n", 2, "undefined launch argument"),
        ("launch:\n\n- node: {pkg: p, exec: '$(eval 1+1)'}\n", 3, "unknown substitution 'eval'"),
        ("launch:\n- node: {pkg: p, exec: e, on_exit: restart}\n", 2, "only 'shutdown'"),
        ("launch:\n- arg: {name: needed}\n", 2, "is required"),
        ("launch:\n- node: {pkg: p, exec: e\n", 3, "invalid YAML"),
        ("nodes: []\n", 1, "one key 'launch'"),
    ],
)
def test_launch_bad_file_names_file_and_line(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    bad = _write(tmp_path / "bad.launch.yaml", body)
    with pytest.raises(LaunchError) as info:
        parse_launch_file(bad)
    assert f"{bad}:{line}:" in str(info.value) and message in str(info.value)


def test_launch_undeclared_cli_argument(tmp_path: Path) -> None:
    f = _write(tmp_path / "a.launch.yaml", "launch:\n- arg: {name: seed, default: '0'}\n")
    with pytest.raises(LaunchError, match="'sed' is not declared .*seed"):
        parse_launch_file(f, {"sed": "1"})


def test_launch_find_pkg_share_uses_ament_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "share/ament_index/resource_index/packages/fake_pkg"
    marker.parent.mkdir(parents=True)
    marker.write_text("")
    monkeypatch.setenv("AMENT_PREFIX_PATH", str(tmp_path))
    f = _write(
        tmp_path / "a.launch.yaml",
        "launch:\n- node: {pkg: p, exec: e, name: '$(find-pkg-share fake_pkg)'}\n",
    )
    assert parse_launch_file(f).nodes[0].name == str(tmp_path / "share/fake_pkg")
    g = _write(
        tmp_path / "b.launch.yaml",
        "launch:\n- node: {pkg: p, exec: '$(find-pkg-share missing_pkg)'}\n",
    )
    with pytest.raises(
        LaunchError, match=r"b.launch.yaml:2: node: package 'missing_pkg' not found"
    ):
        parse_launch_file(g)
