"""Rollout backends: each one's rollout matches eager torch; bad inputs give one clear error."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from hardware.interfaces import Observation
from jepa_wm.app.policy import WorldModelPolicy
from jepa_wm.cli.main import main
from jepa_wm.errors import ConfigError
from jepa_wm.models import backends
from jepa_wm.models.backends import PARITY_ATOL, BackendError, make_backend
from jepa_wm.models.checkpoint import save_checkpoint
from jepa_wm.models.config import model_config
from jepa_wm.models.export import export_onnx
from jepa_wm.models.world_model import JepaWorldModel

HISTORY = {"predictor": {"context_len": 3, "conditioning": "adaln"}}
LOW = np.array([-0.05] * 3 + [-0.1] * 3 + [-0.02], dtype=np.float32)


def _model(over: dict | None = None, seed: int = 0) -> JepaWorldModel:
    torch.manual_seed(seed)
    m = JepaWorldModel(model_config("tiny", over or {})).eval()
    for p in m.predictor.parameters():  # the residual heads start at zero: make them predict
        torch.nn.init.normal_(p, std=0.1)
    return m


def _context(m: JepaWorldModel, frames: int) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(1)
    lat = torch.nn.functional.layer_norm(
        torch.randn(1, frames, m.num_tokens, m.latent_dim, generator=g), (m.latent_dim,)
    )
    return (
        lat,
        torch.randn(1, frames, m.state_dim, generator=g),
        0.1 * torch.randn(1, frames - 1, m.action_dim, generator=g),
    )


@pytest.mark.parametrize(("over", "frames"), [({}, 1), (HISTORY, 3), (HISTORY, 2)])
def test_onnxruntime_rollout_matches_eager_torch(over: dict, frames: int) -> None:
    m = _model(over)
    ctx = _context(m, frames)
    actions = 0.1 * torch.randn(6, 3, m.action_dim, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        ref = m.rollout(m.make_context(*ctx), actions)
    ort = make_backend("onnxruntime", m, "cpu")
    got = ort.rollout(ort.make_context(*ctx), actions)
    for g, r in zip(got, ref, strict=True):
        assert g.shape == r.shape and g.dtype == torch.float32
        assert float((g - r).abs().max()) < PARITY_ATOL
    assert float((ref[0][:, -1] - ref[0][:, 0]).abs().max()) > 10 * PARITY_ATOL  # it moves


def test_policy_plans_the_same_with_either_backend() -> None:
    m = _model()
    rng = np.random.default_rng(0)
    obs = [
        Observation(rgb=rng.integers(0, 255, (64, 64, 3), dtype=np.uint8), state=s, timestamp=0.0)
        for s in rng.normal(size=(4, 7)).astype(np.float32) * 0.1
    ]
    acts = {}
    for name in ("torch", "onnxruntime"):
        pol = WorldModelPolicy(
            m, "cem", {"samples": 32, "iterations": 2, "topk": 4, "seed": 0}, "cpu", LOW, -LOW,
            horizon=2, backend=name,
        )  # fmt: skip
        acts[name] = np.stack([pol(o, obs[-1]) for o in obs[:3]])
    assert np.abs(acts["torch"]).max() > 0
    np.testing.assert_allclose(acts["onnxruntime"], acts["torch"], atol=1e-5)


def test_onnx_file_from_the_export_cli_is_used(tmp_path: Path) -> None:
    m = _model(HISTORY)
    export_onnx(m, tmp_path / "onnx")
    be = make_backend("onnxruntime", m, "cpu", tmp_path / "onnx")
    ctx = _context(m, 2)
    actions = torch.zeros(2, 2, m.action_dim)
    with torch.no_grad():
        ref = m.rollout(m.make_context(*ctx), actions)[0]
    assert float((be.rollout(be.make_context(*ctx), actions)[0] - ref).abs().max()) < PARITY_ATOL


def test_onnx_file_of_other_shapes_is_one_clear_error(tmp_path: Path) -> None:
    export_onnx(_model({"encoder": {"dim": 16}}), tmp_path)
    with pytest.raises(
        BackendError, match=r"input 'latents' has trailing shape \[16, 16\].*\[16, 32\]"
    ):
        make_backend("onnxruntime", _model(), "cpu", tmp_path)


def test_onnx_file_of_other_weights_is_one_clear_error(tmp_path: Path) -> None:
    export_onnx(_model(seed=1), tmp_path)
    with pytest.raises(BackendError, match="exported from other weights"):
        make_backend("onnxruntime", _model(seed=0), "cpu", tmp_path)


def test_missing_or_corrupt_onnx_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="ONNX file not found"):
        make_backend("onnxruntime", _model(), "cpu", tmp_path / "nope.onnx")
    bad = tmp_path / "predictor_step.onnx"
    bad.write_bytes(b"\x08\x07garbage" * 10)
    with pytest.raises(BackendError, match="onnxruntime cannot load it"):
        make_backend("onnxruntime", _model(), "cpu", tmp_path)


def test_unknown_or_missing_backend_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(BackendError, match="valid backends: torch, onnxruntime, tensorrt"):
        make_backend("openvino", _model(), "cpu")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        backends.importlib.util, "find_spec", lambda n: None if n == "onnxruntime" else real(n)
    )
    with pytest.raises(BackendError, match="'onnxruntime' Python package is not installed"):
        make_backend("onnxruntime", _model(), "cpu")


@pytest.mark.skipif(importlib.util.find_spec("tensorrt") is not None, reason="tensorrt present")
def test_tensorrt_without_the_package_names_it() -> None:
    with pytest.raises(BackendError, match="'tensorrt' Python package is not importable"):
        make_backend("tensorrt", _model(), "cpu")


def test_gradient_planner_refuses_a_non_differentiable_backend() -> None:
    with pytest.raises(ConfigError, match="needs backend 'torch'"):
        WorldModelPolicy(_model(), "gradient", {}, "cpu", LOW, -LOW, backend="onnxruntime")


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = save_checkpoint(_model(), tmp_path / "ck")
    base = ["eval", "--checkpoint", str(ckpt), "--env", "franka-reach", "--episodes", "1"]
    assert main([*base, "--max-steps", "1", "--backend", "openvino"]) == 1
    err = capsys.readouterr().err.strip()
    assert "valid backends" in err and len(err.splitlines()) == 1
    # a corrupted checkpoint is refused before anything is exported
    blob = bytearray((ckpt / "model.safetensors").read_bytes())
    blob[-5] ^= 0xFF
    (ckpt / "model.safetensors").write_bytes(bytes(blob))
    assert main(["export", "--checkpoint", str(ckpt), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip()
    assert "SHA-256 does not match" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_eval_cli_with_the_onnxruntime_backend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ckpt = save_checkpoint(_model(), tmp_path / "ck")
    conf = tmp_path / "planner.yaml"
    conf.write_text("planner: {name: cem, options: {samples: 8, topk: 2}}\nbackend: torch\n")
    args = ["eval", "--checkpoint", str(ckpt), "--env", "franka-reach", "--episodes", "1"]
    args += ["--max-steps", "2", "--planner-config", str(conf), "--json"]
    assert main([*args, "--backend", "onnxruntime"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["policy_config"]["backend"] == "onnxruntime"
    assert report["episodes"][0]["steps"] == 2
