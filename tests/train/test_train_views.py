"""Training on two camera views: joint, then the predictor on the frozen encoder's cached
latents, then the offline metrics, all reading rgb and rgb_wrist from the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jepa_wm.app.model_metrics import ModelEvalConfig, evaluate_checkpoint
from jepa_wm.config import to_dict
from jepa_wm.errors import ConfigError
from jepa_wm.models.checkpoint import load_world_model
from jepa_wm.train.config import load_train_config
from jepa_wm.train.latent_cache import encode_stores
from jepa_wm.train.trainer import train
from tests.train.synth import make_store

VIEWS = {"views": ["rgb", "rgb_wrist"]}


@pytest.fixture(scope="module")
def two_view_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(
        tmp_path_factory.mktemp("views") / "w.zarr", episodes=8, length=12, wrist=True
    )


def _cfg(fast_cfg: Path, **over):
    base = load_train_config(fast_cfg)
    return load_train_config(fast_cfg, {"model": {**to_dict(base.model), **VIEWS}, **over})


def test_two_view_joint_then_frozen_stage_and_metrics(
    two_view_store: Path, fast_cfg: Path, tmp_path: Path
) -> None:
    train(_cfg(fast_cfg, steps=6, clip_shift=2), [two_view_store], tmp_path / "a", progress=False)
    a = load_world_model(tmp_path / "a")
    assert a.views == ("rgb", "rgb_wrist") and a.num_tokens == 2 * 16
    over = {"steps": 4, "mode": "two_stage", "pretrain_steps": 0, "init_from": str(tmp_path / "a")}
    train(_cfg(fast_cfg, **over), [two_view_store], tmp_path / "b", progress=False)
    log = [json.loads(x) for x in (tmp_path / "b" / "log.jsonl").read_text().splitlines()]
    assert any(r.get("event") == "cached_latents" for r in log)
    latents = encode_stores(a, [two_view_store], "cpu")[0]
    assert latents.shape == (8 * 12, 32, a.latent_dim)
    cfg = ModelEvalConfig(str(tmp_path / "b"), (str(two_view_store),), horizon=2, transitions=4)
    report = evaluate_checkpoint(cfg)
    assert report["latent"]["clips"] > 0 and "action_recovery" in report


def test_views_the_store_lacks_and_single_view_objectives_are_refused(
    synth_store: Path, fast_cfg: Path, tmp_path: Path
) -> None:
    with pytest.raises(Exception, match="rgb_wrist"):
        train(_cfg(fast_cfg, steps=2), [synth_store], tmp_path / "r", progress=False)
    with pytest.raises(ConfigError, match="joint EMA target is single-view"):
        _cfg(fast_cfg, target="ema")


def test_masked_pretraining_of_two_views_then_the_frozen_stage(
    two_view_store: Path, fast_cfg: Path, tmp_path: Path
) -> None:
    over = {"steps": 3, "mode": "two_stage", "objective": "masked", "pretrain_steps": 3,
            "mask_pred_dim": 16, "mask_pred_heads": 2}  # fmt: skip
    train(_cfg(fast_cfg, **over), [two_view_store], tmp_path / "m", progress=False)
    log = [json.loads(x) for x in (tmp_path / "m" / "log.jsonl").read_text().splitlines()]
    stage1 = [r for r in log if r.get("masked") is not None]
    assert stage1 and all(r["loss"] > 0 for r in stage1)
    assert any(r.get("stage") == "predictor" for r in log)
    m = load_world_model(tmp_path / "m")
    assert m.views == ("rgb", "rgb_wrist") and m.num_tokens == 2 * 16
