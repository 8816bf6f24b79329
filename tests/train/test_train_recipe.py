"""`jepa-wm train` without --config runs the default two-stage recipe end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jepa_wm.cli.main import main
from jepa_wm.errors import ConfigError
from jepa_wm.models.checkpoint import read_checkpoint_meta
from jepa_wm.train.recipe import DEFAULT_RECIPE, RECIPE_JSON, run_recipe, stage_configs

FAST = {"steps": 3, "batch_size": 8, "threads": 1}


def test_stage_configs_split_the_budget_and_keep_each_stage_file() -> None:
    joint, pred = stage_configs()
    assert (joint.mode, pred.mode) == ("joint", "two_stage")
    assert (joint.max_minutes, pred.max_minutes) == (18.0, 11.0)  # the measured recipe
    assert joint.model == pred.model  # stage 2 loads stage 1's weights: same model config
    joint, pred = stage_configs({"max_cpu_minutes": 58.0, "batch_size": 16, "init_from": "x"})
    assert (joint.max_cpu_minutes, pred.max_cpu_minutes) == pytest.approx((36.0, 22.0))
    assert (joint.max_minutes, pred.max_minutes) == (0.0, 0.0)
    assert (joint.batch_size, pred.batch_size) == (16, 16)
    assert (joint.init_from, pred.init_from) == ("x", None)  # stage 2 starts from stage 1


@pytest.mark.parametrize(
    ("over", "match"),
    [({"mode": "joint"}, "pass --mode with --config"), ({"preset": "small"}, "tiny preset")],
)
def test_stage_configs_refuse_flags_the_recipe_fixes(over, match) -> None:
    with pytest.raises(ConfigError, match=match):
        stage_configs(over)


def test_train_without_config_runs_both_stages(synth_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    argv = ["train", "--data", str(synth_store), "--out", str(out), "--no-progress"]
    assert main([*argv, "--steps", "3", "--batch-size", "8", "--threads", "1"]) == 0
    first = out / DEFAULT_RECIPE[0].name
    assert read_checkpoint_meta(first)["meta"]["stage"] == "joint"
    final = read_checkpoint_meta(out)["meta"]
    assert (final["stage"], final["step"]) == ("predictor", 3)
    assert json.loads((out / RECIPE_JSON).read_text())["done"] == ["joint", "predictor"]
    assert f"init_from: {first}" in (out / "config.yaml").read_text()
    with pytest.raises(ConfigError, match="already holds a run"):
        run_recipe([synth_store], out, overrides=FAST, progress=False)


def test_resume_skips_finished_stages(synth_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    run_recipe([synth_store], out, overrides=FAST, progress=False)
    first = out / DEFAULT_RECIPE[0].name / "model.safetensors"
    before = first.stat().st_mtime_ns
    (out / RECIPE_JSON).write_text(json.dumps({"done": ["joint"]}))  # as if stage 2 crashed
    summary = run_recipe([synth_store], out, overrides=FAST, resume=True, progress=False)
    assert list(summary["stages"]) == ["predictor"]
    assert first.stat().st_mtime_ns == before  # stage 1 was not trained again
    assert run_recipe([synth_store], out, overrides=FAST, resume=True)["steps_done"] == 0
