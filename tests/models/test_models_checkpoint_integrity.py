"""Any edit of model.json after saving is refused with the field named (issue 16, case 6).

Before format version 2 the SHA-256 covered the weights file only: ``predictor.heads`` 4 -> 8 or
``encoder.image_size`` 64 -> 96 loaded and exported without a word, with different results.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from jepa_wm.errors import CheckpointError
from jepa_wm.models.checkpoint import load_world_model, save_checkpoint, upgrade_checkpoint
from jepa_wm.models.config import model_config
from jepa_wm.models.world_model import JepaWorldModel

ROOT = Path(__file__).resolve().parents[2]


def _saved(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    model = JepaWorldModel(model_config("tiny", {"action_dim": 2, "state_dim": 3}))
    return save_checkpoint(model, tmp_path / "run", meta={"action_low": [-1.0, -1.0]})


def _edit(run: Path, change: Callable[[dict], None]) -> None:
    doc = json.loads((run / "model.json").read_text())
    change(doc)
    (run / "model.json").write_text(json.dumps(doc, indent=2))


def _set(*keys: str, value) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        node = doc
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_set("config", "predictor", "heads", value=8), r"config\.predictor\.heads is 8"),
        (_set("config", "encoder", "image_size", value=96), r"config\.encoder\.image_size is 96"),
        # Cases the issue does not name: planner bounds, normalisation stats, a removed key.
        (_set("meta", "action_low", value=[-2.0, -1.0]), r"meta\.action_low\[0\] is -2\.0"),
        (_set("stats", "action", "std", value=[9.0, 9.0]), r"stats\.action\.std\[0\] is 9\.0"),
        (lambda doc: doc["config"].pop("state_dim"), r"config\.state_dim is absent"),
    ],
)
def test_any_edit_is_refused_naming_the_field(tmp_path: Path, change, field: str) -> None:
    run = _saved(tmp_path)
    load_world_model(run)  # loads as saved
    _edit(run, change)
    with pytest.raises(CheckpointError, match=field):
        load_world_model(run)


def test_export_refuses_an_edited_checkpoint_in_one_line(tmp_path: Path) -> None:
    run = _saved(tmp_path)
    _edit(run, _set("config", "predictor", "heads", value=8))
    out = subprocess.run(
        [sys.executable, "-m", "jepa_wm.cli.main", "export", "--checkpoint", str(run),
         "--out", str(tmp_path / "m.onnx")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "config.predictor.heads is 8 in model.json" in lines[0], out.stderr
    assert not (tmp_path / "m.onnx").exists()


def test_version_1_is_refused_and_upgrades(tmp_path: Path) -> None:
    run = _saved(tmp_path)
    _edit(run, _set("format_version", value=1))
    with pytest.raises(CheckpointError, match="format_version 1 hashes the weights but not"):
        load_world_model(run)
    upgrade_checkpoint(run)
    assert json.loads((run / "model.json").read_text())["format_version"] == 2
    load_world_model(run)


@pytest.mark.parametrize("name", ["tiny-wm", "tiny-reach", "tiny-grasp", "tiny-nav", "tiny-views"])
def test_committed_models_load(name: str) -> None:
    model = load_world_model(ROOT / "models" / name)
    assert model.config.action_dim > 0
