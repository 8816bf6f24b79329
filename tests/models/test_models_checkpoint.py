"""Checkpoints: safetensors + JSON round trip, clear errors for tampering and mismatches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from jepa_wm.errors import CheckpointError
from jepa_wm.models.checkpoint import load_encoder_weights, load_world_model, save_checkpoint
from jepa_wm.models.config import model_config
from jepa_wm.models.world_model import JepaWorldModel


def _model(**over) -> JepaWorldModel:
    torch.manual_seed(0)
    m = JepaWorldModel(model_config("tiny", {"action_dim": 2, "state_dim": 3, **over}))
    m.set_normalization(
        {
            "action": {"mean": [0.1, 0.2], "std": [2.0, 3.0]},
            "state": {"mean": [1, 2, 3], "std": [1, 1, 0.5]},
        }
    )
    return m


def test_round_trip_is_exact(tmp_path: Path) -> None:
    m = _model()
    save_checkpoint(m, tmp_path / "run", meta={"step": 7})
    for path in (
        tmp_path / "run",
        tmp_path / "run" / "model.json",
        tmp_path / "run" / "model.safetensors",
    ):
        m2 = load_world_model(path, device="cpu")
        assert m2.config == m.config and not m2.training
        for k, v in m.state_dict().items():
            assert torch.equal(v, m2.state_dict()[k]), k
    doc = json.loads((tmp_path / "run" / "model.json").read_text())
    assert doc["format_version"] == 2 and doc["meta"]["step"] == 7
    assert doc["stats"]["action"]["std"] == [2.0, 3.0]


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    save_checkpoint(_model(), tmp_path)
    blob = bytearray((tmp_path / "model.safetensors").read_bytes())
    blob[-5] ^= 0xFF
    (tmp_path / "model.safetensors").write_bytes(bytes(blob))
    with pytest.raises(CheckpointError, match="SHA-256"):
        load_world_model(tmp_path)


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path: Path) -> None:
    save_checkpoint(_model(), tmp_path / "a")
    save_checkpoint(_model(predictor={"dim": 32}), tmp_path / "b")
    # b's weights (and their hash) with a's model.json: the header copy disagrees on the config.
    (tmp_path / "a" / "model.safetensors").write_bytes(
        (tmp_path / "b" / "model.safetensors").read_bytes()
    )
    doc = json.loads((tmp_path / "a" / "model.json").read_text())
    doc["sha256"] = json.loads((tmp_path / "b" / "model.json").read_text())["sha256"]
    (tmp_path / "a" / "model.json").write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match=r"config\.predictor\.dim is 64 in model\.json"):
        load_world_model(tmp_path / "a")


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        ({"format_version": 99}, "format_version 99"),
        ({"format": "other"}, "not a jepa-wm"),
        ({"config": {"predictor": {"bogus": 1}}}, "bogus"),
    ],
)
def test_foreign_or_future_json_is_refused(tmp_path: Path, edit: dict, match: str) -> None:
    save_checkpoint(_model(), tmp_path)
    doc = json.loads((tmp_path / "model.json").read_text())
    doc.update(edit)
    (tmp_path / "model.json").write_text(json.dumps(doc))
    with pytest.raises(CheckpointError, match=match):
        load_world_model(tmp_path)


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="not found"):
        load_world_model(tmp_path / "nope")
    (tmp_path / "model.json").write_text("{}")
    with pytest.raises(CheckpointError, match="missing model.safetensors"):
        load_world_model(tmp_path)


def test_load_encoder_weights(tmp_path: Path) -> None:
    src = _model()
    save_checkpoint(src, tmp_path / "src")
    torch.manual_seed(1)
    dst = JepaWorldModel(src.config)
    load_encoder_weights(dst, tmp_path / "src")
    for k, v in src.encoder.state_dict().items():
        assert torch.equal(v, dst.encoder.state_dict()[k])
    other = JepaWorldModel(model_config("tiny", {"encoder": {"dim": 48}}))
    with pytest.raises(CheckpointError, match="encoder config"):
        load_encoder_weights(other, tmp_path / "src")
