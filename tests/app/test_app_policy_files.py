"""The per-task policy files are the one copy of each tuned policy: `jepa-wm eval`, `jepa-wm
bench planner` and the launch files' planner_node resolve the same config from them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
import torch

from jepa_wm.app.launch import parse_launch_file
from jepa_wm.app.mpc_eval import EnvMPCPolicy
from jepa_wm.app.policy_files import (
    POLICY_DIR,
    default_fixed_dims,
    load_node_policy_config,
    load_policy_config,
    policy_file,
    policy_names,
)
from jepa_wm.bench import planner as bench
from jepa_wm.config import read_yaml, to_dict
from jepa_wm.errors import ConfigError
from jepa_wm.models.config import model_config
from jepa_wm.models.world_model import JepaWorldModel
from sim.registry import ENV_NAMES, make_env

ROOT = Path(__file__).resolve().parents[2]
GRASP_LAUNCH = ROOT / "launch/grasp_pipeline.launch.yaml"
NAV_LAUNCH = ROOT / "launch/nav_pipeline.launch.yaml"
# the launch file (and its arguments) that runs each task's planner_node
LAUNCHES = {
    "franka-reach": (GRASP_LAUNCH, {"task": "franka-reach"}),
    "franka-push": (GRASP_LAUNCH, {"task": "franka-push"}),
    "franka-grasp": (GRASP_LAUNCH, {}),
    "franka-pick-place": (GRASP_LAUNCH, {"task": "franka-pick-place"}),
    "husky-nav": (NAV_LAUNCH, {}),
}


def test_every_task_has_a_policy_file() -> None:
    assert policy_names() == sorted(ENV_NAMES) == sorted(LAUNCHES)
    with pytest.raises(ConfigError, match="no policy file for task 'franka-fly'.*franka-grasp"):
        policy_file("franka-fly")


def test_policy_files_ship_as_package_data() -> None:
    """An installed jepa_wm (not this checkout) finds them: pyproject's package data has them."""
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = data["tool"]["setuptools"]["package-data"]["jepa_wm"]
    shipped = {p for g in globs for p in (ROOT / "jepa_wm").glob(g)}
    assert POLICY_DIR == ROOT / "jepa_wm/configs/policy"
    assert sorted(POLICY_DIR.glob("*.yaml")) and set(POLICY_DIR.glob("*.yaml")) <= shipped


def _eval_config(env_name: str) -> dict[str, Any]:
    """The config `jepa-wm eval --env ENV` plans with, resolved against the env's action names."""
    env = make_env(env_name)
    try:
        spec = env.action_spec
        state_dim = int(env.reset(seed=0).state.shape[0])
    finally:
        env.close()
    torch.manual_seed(0)
    dims = {"action_dim": len(spec.names), "state_dim": state_dim}
    model = JepaWorldModel(model_config("tiny", dims)).eval()
    policy = EnvMPCPolicy(model, load_policy_config(None, None, env_name), env_name)
    policy.bind_env(env)
    return to_dict(policy.resolved)


def _node_params(path: Path, args: dict[str, str]) -> dict[str, Any]:
    """planner_node's parameters as ROS resolves them: its params files' ``/**`` and
    ``/planner_node`` sections, then the inline ones, in the launch file's order."""
    (node,) = [n for n in parse_launch_file(path, args).nodes if n.exec == "planner_node"]
    params: dict[str, Any] = {}
    for item in node.parameters:
        if item.file:
            data = read_yaml(item.file)
            for section in ("/**", f"/{node.name}", node.name):
                params.update((data.get(section) or {}).get("ros__parameters") or {})
        else:
            params[item.name] = item.value
    return params


@pytest.mark.parametrize("env_name", sorted(LAUNCHES))
def test_eval_launch_and_bench_plan_with_the_same_config(env_name: str) -> None:
    want = _eval_config(env_name)
    path, args = LAUNCHES[env_name]
    params = _node_params(path, args)
    assert params["policy"] == env_name
    node = load_node_policy_config(
        str(params.get("policy", "")),
        str(params.get("planner_config", "")),
        str(params.get("planner", "")),
        str(params.get("goal", "")),
    )
    assert to_dict(node) == want
    opts = want["planner"]["options"]
    budget = {k: opts[k] for k in ("samples", "iterations", "topk")} | {"horizon": want["horizon"]}
    assert bench.default_budget(env_name) == budget
    names = make_env(env_name).action_spec.names
    assert list(default_fixed_dims(names, env_name)) == list(opts.get("fixed_dims", []))


def test_bench_planner_defaults_to_the_grasp_launchs_policy() -> None:
    assert str(_node_params(GRASP_LAUNCH, {})["policy"]) == bench.BENCH_POLICY
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args([])
    bench.resolve_budget(args)  # what bench.run plans with
    budget = bench.default_budget(bench.BENCH_POLICY)
    assert {k: getattr(args, k) for k in budget} == budget
    args = parser.parse_args(["--samples", "40"])
    bench.resolve_budget(args)  # another budget scales its elites, as before
    assert (args.samples, bench._topk(args), args.horizon) == (40, 4, budget["horizon"])


def test_override_file_changes_keys_and_sections_merge(tmp_path: Path) -> None:
    over = tmp_path / "over.yaml"
    over.write_text("cost: {state_weight: 0.5}\nmpc: {execute_steps: 2}\n")
    base = load_policy_config(None, None, "husky-nav")
    cfg = load_node_policy_config("husky-nav", str(over), "", "image")
    assert cfg.cost.state_weight == 0.5 and cfg.cost.state_scale == base.cost.state_scale
    assert cfg.mpc.execute_steps == 2 and cfg.mpc.warm_start == base.mpc.warm_start
    assert (cfg.horizon, cfg.planner.options, cfg.goal) == (3, base.planner.options, "image")
    over.write_text("cost: {state_wieght: 0.5}\n")
    with pytest.raises(ConfigError, match=rf"^{over}: cost: unknown key 'state_wieght'"):
        load_node_policy_config("husky-nav", str(over))
    over.write_text("mpc: {execute_steps: true}\n")
    with pytest.raises(ConfigError, match=rf"^{over}: mpc.execute_steps: expected int, got true"):
        load_policy_config(over, env="franka-grasp")


def test_planner_section_layers_by_name(tmp_path: Path) -> None:
    """``planner.options`` is replaced whole; a layer naming another planner drops the options
    below it, while the task's rotation dims stay pinned for that planner too."""
    over = tmp_path / "over.yaml"
    base = load_policy_config(None, None, "franka-grasp")
    over.write_text("planner: {name: cem}\n")
    assert load_policy_config(over, env="franka-grasp").planner == base.planner
    over.write_text("planner: {options: {samples: 50}}\n")
    assert load_policy_config(over, env="franka-grasp").planner.options == {"samples": 50}
    over.write_text("planner: {name: mppi}\n")
    cfg = load_policy_config(over, env="franka-grasp")
    assert (cfg.planner.name, cfg.planner.options) == ("mppi", {})
    assert load_policy_config(over, "cem", "franka-grasp").planner.options == {}
    over.write_text("planner: {name: mppi, options: {samples: 40}}\n")
    cfg = load_node_policy_config("franka-grasp", str(over))
    assert (cfg.planner.name, cfg.planner.options) == ("mppi", {"samples": 40})
    env = make_env("franka-grasp")
    try:
        dims = {"action_dim": len(env.action_spec.names), "state_dim": 7}
        policy = EnvMPCPolicy(JepaWorldModel(model_config("tiny", dims)), cfg, "franka-grasp")
        policy.bind_env(env)
    finally:
        env.close()
    assert policy.resolved.planner.options == {"samples": 40, "fixed_dims": [3, 4]}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("planner: {options: {sampels: 4}}", "planner.options: unknown option 'sampels'; valid"),
        ("planner: {options: {samples: true}}", "planner.options.samples: must be int, got true"),
        ("planner: {name: mppi, options: {topk: 4}}", "planner.options: unknown option 'topk'"),
        ("planner: {name: cme}", "planner.name: unknown planner 'cme'; valid planners: cem"),
        ("planner: {name: cem, optoins: {}}", "planner: unknown key 'optoins'; valid keys"),
    ],
)
def test_a_bad_planner_section_names_its_file_and_key(
    tmp_path: Path, text: str, error: str
) -> None:
    over = tmp_path / "over.yaml"
    over.write_text(text + "\n")
    with pytest.raises(ConfigError, match=rf"^{over}: {error}"):
        load_policy_config(over, env="franka-grasp")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("planner: cem\nhorizon: 2\n", "planner"),
        ("planner_overrides: {samples: 8}\n", "planner_overrides"),
        ("planner: mppi\nplanner_overrides: {samples: 8}\n", "planner"),
    ],
)
def test_the_old_flat_planner_spelling_says_the_new_one(
    tmp_path: Path, text: str, key: str
) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(text)
    new = r"`planner: \{name: cem, options: \{samples: 100\}\}` replaces `planner: cem`"
    with pytest.raises(ConfigError, match=rf"^{old}: {key}: old spelling; .*{new}"):
        load_node_policy_config("franka-grasp", str(old))
