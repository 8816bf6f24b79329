"""ONNX export of encoder + predictor step, parity with torch through onnxruntime."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from jepa_wm.cli.main import main
from jepa_wm.models.checkpoint import save_checkpoint
from jepa_wm.models.config import model_config
from jepa_wm.models.export import export_onnx, onnx_parity
from jepa_wm.models.world_model import JepaWorldModel


@pytest.mark.parametrize("over", [{}, {"predictor": {"context_len": 2, "conditioning": "adaln"}}])
def test_onnx_parity(tmp_path: Path, over: dict) -> None:
    torch.manual_seed(0)
    m = JepaWorldModel(model_config("tiny", over))
    for p in m.predictor.parameters():
        torch.nn.init.normal_(p, std=0.1)
    info = export_onnx(m, tmp_path)
    assert (tmp_path / "encoder.onnx").is_file() and info["context_len"] == m.context_len
    diffs = onnx_parity(m, tmp_path, batch=3)
    assert diffs["encoder"] < 1e-4 and diffs["predictor_step"] < 1e-4


@pytest.mark.skipif(importlib.util.find_spec("tensorrt") is not None, reason="tensorrt present")
def test_tensorrt_without_package_is_a_clear_error(tmp_path: Path, capsys) -> None:
    save_checkpoint(JepaWorldModel(model_config("tiny")), tmp_path / "ck")
    rc = main(
        [
            "export",
            "--checkpoint",
            str(tmp_path / "ck"),
            "--out",
            str(tmp_path / "o"),
            "--backend",
            "tensorrt",
        ]
    )
    assert rc == 1
    assert "'tensorrt' Python package is not importable" in capsys.readouterr().err
