"""``jepa-wm eval-model``: latent errors vs copy-last, RankMe, action recovery vs random."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jepa_wm.cli.main import main
from jepa_wm.train.config import load_train_config
from jepa_wm.train.trainer import train


def test_eval_model_json_report(synth_store: Path, fast_cfg: Path, tmp_path: Path, capsys) -> None:
    train(
        load_train_config(fast_cfg, {"steps": 5}), [synth_store], tmp_path / "run", progress=False
    )
    capsys.readouterr()
    opts = tmp_path / "cem.yaml"
    opts.write_text("samples: 32\niterations: 2\ntopk: 4\n")
    rc = main(
        [
            "eval-model",
            "--checkpoint",
            str(tmp_path / "run"),
            "--data",
            str(synth_store),
            "--horizon",
            "3",
            "--transitions",
            "8",
            "--planner-options",
            str(opts),
            "--json",
        ]
    )
    assert rc == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["action_recovery"]["planner_options"] == {"samples": 32, "iterations": 2, "topk": 4}
    lat = rep["latent"]
    assert len(lat["model_l1"]) == len(lat["copy_l1"]) == 3 and lat["clips"] > 0
    assert 1.0 <= lat["rankme"] <= 32
    rec = rep["action_recovery"]
    assert rec["transitions"] > 0 and rec["model"]["l2"] >= 0 and rec["random"]["l2"] > 0
    lo, hi = rec["error_ratio_ci95"]
    assert lo <= rec["error_ratio_vs_random"] <= hi
    assert rep["held_out"] == "validation split"


def test_ratio_interval_is_a_bootstrap_over_transitions() -> None:
    import numpy as np

    from jepa_wm.app.recovery_report import _ratio_ci

    rng = np.random.default_rng(0)
    rand = rng.uniform(1.0, 2.0, 300)
    assert _ratio_ci(0.5 * rand, rand, seed=0) == pytest.approx([0.5, 0.5])
    model = rng.uniform(0.0, 1.5, 300)  # independent of rand: a real spread
    lo, hi = _ratio_ci(model, rand, seed=0)
    assert lo < model.mean() / rand.mean() < hi and hi - lo > 0.02
    narrow = _ratio_ci(np.tile(model, 10), np.tile(rand, 10), seed=0)
    assert narrow[1] - narrow[0] < (hi - lo) / 2  # 10x the transitions: about 3x narrower


def test_eval_model_missing_checkpoint_is_one_line(
    tmp_path: Path, synth_store: Path, capsys
) -> None:
    rc = main(["eval-model", "--checkpoint", str(tmp_path / "nope"), "--data", str(synth_store)])
    err = capsys.readouterr().err
    assert rc == 1 and "checkpoint not found" in err and "Traceback" not in err


def test_eval_model_bad_planner_option_is_one_line(
    synth_store: Path, fast_cfg: Path, tmp_path: Path, capsys
) -> None:
    train(load_train_config(fast_cfg, {"steps": 2}), [synth_store], tmp_path / "r", progress=False)
    opts = tmp_path / "bad.yaml"
    opts.write_text("sample: 32\n")  # the option is "samples"
    args = ["eval-model", "--checkpoint", str(tmp_path / "r"), "--data", str(synth_store)]
    assert main([*args, "--planner-options", str(opts)]) == 1
    err = capsys.readouterr().err.strip()
    assert "sample" in err and "Traceback" not in err and len(err.splitlines()) == 1, err
