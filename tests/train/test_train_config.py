"""The training config's typed model section: resolved from its preset at load time, saved
whole next to a run, and the committed models' configs (the old form: a top-level ``preset``
and a partial ``model:``) resolve to the same ModelConfig as before the section was typed."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from jepa_wm.config import save_config
from jepa_wm.errors import ConfigError
from jepa_wm.models.checkpoint import load_world_model
from jepa_wm.models.config import (
    EncoderConfig,
    ModelConfig,
    PredictorConfig,
    model_config,
    preset_dict,
)
from jepa_wm.train.config import TrainConfig, load_train_config

MODELS = Path(__file__).resolve().parents[2] / "models"
COMMITTED = sorted(MODELS.glob("**/config*.yaml"))


def _before(data: dict[str, Any], action_dim: int, state_dim: int) -> ModelConfig:
    """What ``TrainConfig.model_config`` gave for the raw file ``data`` before the section was
    typed: the preset's dict with the file's ``model:`` keys merged in section by section, the
    data's dims on top, built with the dataclasses' own constructors."""
    over = data.get("model") or {}
    base = preset_dict(data.get("preset", "tiny"))
    top = {**base, **over, "action_dim": action_dim, "state_dim": state_dim}
    enc = {**base.get("encoder", {}), **over.get("encoder", {})}
    pred = {**base.get("predictor", {}), **over.get("predictor", {})}
    top.pop("encoder", None)
    top.pop("predictor", None)
    if "channels" in enc:
        enc["channels"] = tuple(enc["channels"])
    if "views" in top:
        top["views"] = tuple(top["views"])
    return ModelConfig(**top, encoder=EncoderConfig(**enc), predictor=PredictorConfig(**pred))


def test_the_committed_configs_are_found() -> None:
    names = {p.relative_to(MODELS).as_posix() for p in COMMITTED}
    assert {"tiny-grasp/config.yaml", "tiny-nav/config.yaml", "tiny-views/config.yaml"} <= names


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.relative_to(MODELS).as_posix())
def test_committed_configs_resolve_to_the_model_they_trained(path: Path) -> None:
    data = yaml.safe_load(path.read_text())
    assert "preset" in data and "preset" not in (data.get("model") or {})  # the old form
    cfg = load_train_config(path)
    assert cfg.model_config(2, 3) == _before(data, 2, 3)
    if (path.parent / "model.json").is_file():  # the checkpoint's embedded config agrees
        saved = load_world_model(path.parent).config
        assert cfg.model_config(saved.action_dim, saved.state_dim) == saved


def test_an_old_run_config_of_another_preset_resolves_as_before(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "preset: small\nmodel: {encoder: {pool_grid: 4}, predictor: {depth: 2}}\nsteps: 5\n"
    )
    cfg = load_train_config(path)
    model = cfg.model_config(7, 7)
    assert model == _before(yaml.safe_load(path.read_text()), 7, 7)
    # small's other keys survive the partial sections
    assert model.encoder.kind == "vit" and model.encoder.dim == 192 and model.encoder.pool_grid == 4
    assert model.predictor.depth == 2 and model.predictor.dim == 192
    assert model.preset == "small"


def test_the_saved_config_holds_the_whole_model_and_reloads_equal(tmp_path: Path) -> None:
    cfg = load_train_config(None, {"preset": "small", "model": {"predictor": {"depth": 2}}})
    cfg = dataclasses.replace(cfg, model=cfg.model_config(2, 3))  # as a run saves it
    save_config(cfg, tmp_path / "config.yaml")
    saved = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert "preset" not in saved  # the preset is named once, in the model section
    assert saved["model"]["preset"] == "small" and saved["model"]["action_dim"] == 2
    assert saved["model"]["encoder"]["kind"] == "vit" and saved["model"]["predictor"]["depth"] == 2
    assert load_train_config(tmp_path / "config.yaml") == cfg
    # the old form's top-level key may accompany it when both name the same preset
    assert load_train_config(tmp_path / "config.yaml", {"preset": "small"}) == cfg


def test_a_config_built_in_code_holds_its_presets_model() -> None:
    assert TrainConfig().model == model_config("tiny")
    small = TrainConfig(model=model_config("small"))
    assert small.model.preset == "small" and small.model.encoder.kind == "vit"
    assert load_train_config(None, {"preset": "small"}).model == model_config("small")
    assert load_train_config(None).model == TrainConfig().model


def test_model_config_replaces_the_dims_with_the_datas() -> None:
    cfg = load_train_config(None, {"model": {"action_dim": 9, "views": ["rgb", "rgb_wrist"]}})
    model = cfg.model_config(2, 5)
    assert (model.action_dim, model.state_dim) == (2, 5)
    assert model.views == ("rgb", "rgb_wrist")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "preset: small\nmodel: {preset: tiny}\n",
            "model.preset: 'tiny' differs from preset 'small'",
        ),
        ("preset: huge\n", "preset: unknown preset 'huge'; valid presets: tiny, small"),
        ("model: {preset: huge}\n", "model.preset: unknown preset 'huge'"),
        ("preset: 3\n", "preset: expected str, got 3"),
        ("model: [1, 2]\n", "model: expected a mapping, got a list of 2 items"),
        ("model: {encoder: {widht: 3}}\n", "model.encoder: unknown key 'widht'; valid keys:"),
        ("model: {predictor: {depth: true}}\n", "model.predictor.depth: expected int, got true"),
        ("model: {views: [rgb, rgb_wrist]}\ntarget: ema\n", "target stopgrad"),
    ],
)
def test_bad_model_sections_name_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_train_config(path)
    text = str(err.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text


def test_a_preset_flag_cannot_relabel_a_saved_model(tmp_path: Path) -> None:
    save_config(load_train_config(None), tmp_path / "config.yaml")
    with pytest.raises(ConfigError, match="model.preset: 'tiny' differs from preset 'small'"):
        load_train_config(tmp_path / "config.yaml", {"preset": "small"})
