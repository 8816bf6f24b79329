"""`jepa-wm eval` glue and the planner bench, with a randomly initialised tiny model."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from hardware.interfaces import Observation
from jepa_wm.app.mpc_eval import (
    EnvMPCPolicy,
    default_fixed_dims,
    evaluate_planner,
    load_policy_config,
)
from jepa_wm.bench import planner as bench
from jepa_wm.cli import eval_planner
from jepa_wm.cli.main import main
from jepa_wm.errors import ConfigError
from jepa_wm.models.checkpoint import save_checkpoint
from jepa_wm.models.config import model_config
from jepa_wm.models.world_model import JepaWorldModel
from planners.registry import PLANNER_NAMES
from sim.evaluate import EvalConfig

FAST = {"samples": 8, "iterations": 2, "topk": 2, "seed": 0}


def _model() -> JepaWorldModel:
    torch.manual_seed(0)
    return JepaWorldModel(model_config("tiny", {"action_dim": 7, "state_dim": 7})).eval()


def test_policy_config_from_yaml_and_cli(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "planner: {name: mppi, options: {samples: 32}}\nhorizon: 2\ncost: {state_scale: [1, 2]}\n"
    )
    cfg = load_policy_config(path)
    assert (cfg.planner.name, cfg.horizon, cfg.planner.options) == ("mppi", 2, {"samples": 32})
    assert cfg.cost.state_scale == (1, 2)
    cfg = load_policy_config(path, planner="cem", horizon=3)
    assert (cfg.planner.name, cfg.horizon, cfg.planner.options) == ("cem", 3, {})
    path.write_text("horizn: 2\n")
    with pytest.raises(ConfigError, match="valid keys"):
        load_policy_config(path)


def test_env_defaults_sit_under_the_file(tmp_path: Path) -> None:
    cfg = load_policy_config(None, None, "franka-reach")
    assert cfg.cost.state_weight > 0 and len(cfg.cost.state_scale) == 7
    assert cfg.planner.options["samples"] == 100
    # another planner drops the env default's CEM options
    assert load_policy_config(None, "mppi", "franka-reach").planner.options == {}
    path = tmp_path / "p.yaml"
    path.write_text("cost: {state_weight: 0.0}\n")
    assert load_policy_config(path, None, "husky-nav").cost.state_weight == 0.0


def test_default_fixed_dims() -> None:
    names = ("dx", "dy", "dz", "droll", "dpitch", "dyaw", "dgripper")
    assert default_fixed_dims(names, "franka-reach") == (3, 4, 5, 6)
    assert default_fixed_dims(names, "franka-grasp") == (3, 4)
    assert default_fixed_dims(("v", "omega"), "husky-nav") == ()
    assert set(eval_planner.PLANNERS) == set(PLANNER_NAMES) == set(bench.PLANNERS)


def test_closed_loop_eval_on_reach_runs(tmp_path: Path) -> None:
    cfg = load_policy_config(None, "cem", planner_options=FAST)
    report = evaluate_planner(_model(), cfg, EvalConfig("franka-reach", episodes=1, max_steps=2))
    assert report["num_episodes"] == 1 and report["episodes"][0]["steps"] == 2
    assert report["policy_config"]["planner"]["options"]["fixed_dims"] == [3, 4, 5, 6]
    assert report["timing"]["plan_ms"]["mean"] > 0
    assert 0.0 <= report["success_rate"] <= 1.0


def test_eval_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = save_checkpoint(_model(), tmp_path / "run")
    conf = tmp_path / "planner.yaml"
    conf.write_text("planner: {name: random, options: {samples: 4}}\n")
    out = tmp_path / "report.json"
    args = ["eval", "--checkpoint", str(ckpt), "--env", "franka-reach", "--episodes", "1"]
    args += ["--max-steps", "1", "--planner-config", str(conf), "--json", "--out", str(out)]
    assert main(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["policy"] == "wm-random" and json.loads(out.read_text())["num_episodes"] == 1
    bad = ["eval", "--checkpoint", str(ckpt), "--env", "franka-reach", "--planner-config"]
    conf.write_text("planner: {name: cem, options: {sampels: 4}}\n")
    assert main([*bad, str(conf), "--episodes", "1", "--max-steps", "1"]) == 1
    assert "valid options" in capsys.readouterr().err


def test_bench_reports_every_planner_and_the_naive_baseline() -> None:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args(
        ["--samples", "8", "--iterations", "2", "--steps", "1", "--warmup", "0"]
        + ["--history-context", "2", "--history-horizon", "2"]
    )
    report = bench.run(args)
    assert set(report["planners"]) == set(PLANNER_NAMES)
    assert all(p["rollouts_per_s"] > 0 for p in report["planners"].values())
    hist = report["history"]
    assert hist["context_len"] == 2 and hist["speedup"] > 0
    assert hist["naive"]["flops_per_plan"] > hist["cached"]["flops_per_plan"] > 0
    json.dumps(report)


class _FakeArmEnv:
    """Just what EnvMPCPolicy reads from an env: bounds, subgoals and the step limit."""

    max_steps = 40

    def __init__(self) -> None:
        from hardware.interfaces import ActionSpec

        high = [0.03] * 3 + [0.15] * 3 + [0.02]
        names = ("dx", "dy", "dz", "droll", "dpitch", "dyaw", "dgripper")
        self.action_spec = ActionSpec(names, -np.asarray(high), np.asarray(high))

    def subgoals(self) -> list[Observation]:
        rng = np.random.default_rng(0)
        return [
            Observation(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8), np.zeros(7), 0.0)
            for _ in range(3)
        ]


def test_env_policy_plans_through_the_env_subgoals() -> None:
    cfg = load_policy_config(None, "cem", "franka-grasp", planner_options=FAST)
    pol = EnvMPCPolicy(_model(), cfg, "franka-grasp")
    pol.bind_env(_FakeArmEnv())
    pol.reset()
    assert pol.use_subgoals and pol.steps_per_subgoal == 40 // 4
    obs = _FakeArmEnv().subgoals()[0]
    seen = []
    for _ in range(12):
        action = pol(obs, obs)
        seen.append(pol.inner.last_info["subgoal"])
    assert action.shape == (7,) and np.all(action[3:5] == 0)  # roll/pitch pinned
    assert seen[0] == 0 and seen[-1] == 1
    assert pol.timing()["plan_ms"]["mean"] > 0
