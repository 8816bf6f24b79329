"""``train --tensorboard DIR``: the same scalars as log.jsonl, plus latent-error images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from jepa_wm.cli.main import main

pytest.importorskip("tensorboard")


def _events(logdir: Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "images": 0})
    acc.Reload()
    return acc


def test_tensorboard_mirrors_the_jsonl(
    synth_store: Path, fast_cfg: Path, tmp_path: Path, capsys
) -> None:
    run, tb = tmp_path / "run", tmp_path / "tb"
    args = ["train", "--data", str(synth_store), "--out", str(run), "--config", str(fast_cfg),
            "--steps", "10", "--no-progress", "--tensorboard", str(tb)]  # fmt: skip
    assert main(args) == 0
    (line,) = capsys.readouterr().out.splitlines()  # one summary line without --json
    assert line.startswith(f"{run}: 10 steps in ") and "final val_loss" in line
    records = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]
    want: dict[str, dict[int, float]] = {}
    for rec in records:
        if "step" not in rec:
            continue
        for key, value in rec.items():
            numeric = isinstance(value, float | int) and np.isfinite(value)
            if key not in ("stage", "step") and numeric:
                want.setdefault(f"{rec['stage']}/{key}", {})[rec["step"]] = float(value)
    acc = _events(tb)
    tags = acc.Tags()
    assert set(tags["scalars"]) == set(want)
    for tag in ("joint/loss", "joint/lr", "joint/clips_per_s", "joint/rankme", "joint/val_loss"):
        assert tag in want, tag
    for tag, by_step in want.items():
        got = {e.step: e.value for e in acc.Scalars(tag)}
        assert got.keys() == by_step.keys(), tag
        np.testing.assert_allclose(list(got.values()), list(by_step.values()), rtol=1e-6)
    (img_tag,) = tags["images"]
    assert img_tag == "joint/latent_error"
    img = acc.Images(img_tag)[-1]
    assert img.width == 4 * 3 * img.height  # 4 clips side by side: frame | model | copy


def test_latent_error_images_show_frame_and_errors(synth_store: Path) -> None:
    from jepa_wm.data.clips import ClipDataset
    from jepa_wm.models.config import EncoderConfig, ModelConfig
    from jepa_wm.models.world_model import JepaWorldModel
    from jepa_wm.train.tb_log import latent_error_images

    ds = ClipDataset([synth_store], clip_len=3)
    items = [ds[i] for i in range(2)]
    batch = {
        k: torch.stack([torch.as_tensor(it[k]) for it in items]) for k in ("rgb", "state", "action")
    }
    model = JepaWorldModel(
        ModelConfig(action_dim=2, state_dim=2, encoder=EncoderConfig(image_size=32))
    )
    imgs = latent_error_images(model, batch)
    c = model.context_len
    assert imgs.shape == (2, 32, 96, 3) and imgs.dtype == np.uint8
    np.testing.assert_array_equal(imgs[:, :, :32], batch["rgb"][:, c].numpy())
    assert imgs[:, :, 32:].std() > 0  # the error maps are not blank


def test_train_json_summary_stays_machine_readable(
    synth_store: Path, fast_cfg: Path, tmp_path: Path, capsys
) -> None:
    args = ["train", "--data", str(synth_store), "--out", str(tmp_path / "run"), "--config",
            str(fast_cfg), "--steps", "2", "--no-progress", "--json"]  # fmt: skip
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps_done"] == 2 and "final_val" in summary
