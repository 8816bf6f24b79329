"""``jepa-wm eval-model``: latent errors vs copy-last, RankMe, action recovery vs random."""

from __future__ import annotations

import json
from pathlib import Path

from jepa_wm.cli.main import main
from jepa_wm.train.config import load_train_config
from jepa_wm.train.trainer import train


def test_eval_model_json_report(synth_store: Path, fast_cfg: Path, tmp_path: Path, capsys) -> None:
    train(
        load_train_config(fast_cfg, {"steps": 5}), [synth_store], tmp_path / "run", progress=False
    )
    capsys.readouterr()
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
            "--json",
        ]
    )
    assert rc == 0
    rep = json.loads(capsys.readouterr().out)
    lat = rep["latent"]
    assert len(lat["model_l1"]) == len(lat["copy_l1"]) == 3 and lat["clips"] > 0
    assert 1.0 <= lat["rankme"] <= 32
    rec = rep["action_recovery"]
    assert rec["transitions"] > 0 and rec["model"]["l2"] >= 0 and rec["random"]["l2"] > 0
    assert rep["held_out"] == "validation split"


def test_eval_model_missing_checkpoint_is_one_line(
    tmp_path: Path, synth_store: Path, capsys
) -> None:
    rc = main(["eval-model", "--checkpoint", str(tmp_path / "nope"), "--data", str(synth_store)])
    err = capsys.readouterr().err
    assert rc == 1 and "checkpoint not found" in err and "Traceback" not in err
