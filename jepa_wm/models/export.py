"""ONNX export of the encoder and of one predictor step (and TensorRT engines from them).

Two graphs, each with a dynamic batch axis:

* ``encoder.onnx``: rgb uint8 [B, S, S, 3] (S = image_size) -> latents [B, P, D] (layer-normed)
* ``predictor_step.onnx``: latents [N, C, P, D], states [N, C, S], actions [N, C, A] (raw units)
  -> next_latents [N, P, D], next_states [N, S] (raw units): the prediction after the last
  of the C context steps, i.e. one uncached step of ``rollout_naive``. C is a dynamic axis, so
  the onnxruntime rollout backend (``jepa_wm.models.backends``) runs every step with one file.

The TorchScript-based exporter (``dynamo=False``) is used: it needs no extra packages.
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from jepa_wm.errors import JepaWmError
from jepa_wm.models.world_model import JepaWorldModel

OPSET = 17


class EncoderGraph(nn.Module):
    """rgb uint8 [B, S, S, 3] -> layer-normed latents [B, P, D]."""

    def __init__(self, model: JepaWorldModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        return self.model.encode(rgb[:, None])[:, 0]


class PredictorStepGraph(nn.Module):
    """(latents [N,C,P,D], states [N,C,S], actions [N,C,A]) -> next latents [N,P,D], states [N,S]."""

    def __init__(self, model: JepaWorldModel) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, latents: torch.Tensor, states: torch.Tensor, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        m = self.model
        z, s = m.predictor(latents, m.norm_state(states), m.norm_action(actions))
        return z[:, -1], m.denorm_state(s[:, -1])


def example_inputs(model: JepaWorldModel, batch: int = 2) -> dict[str, tuple[torch.Tensor, ...]]:
    """Random inputs of the right shapes for both graphs (used for export and parity checks)."""
    g = torch.Generator().manual_seed(0)
    c, p, d = model.context_len, model.num_tokens, model.latent_dim
    rgb = torch.randint(
        0, 256, (batch, model.image_size, model.image_size, 3), generator=g, dtype=torch.uint8
    )
    lat = torch.nn.functional.layer_norm(torch.randn(batch, c, p, d, generator=g), (d,))
    states = model.state_mean + model.state_std * torch.randn(
        batch, c, model.state_dim, generator=g
    )
    actions = model.action_mean + model.action_std * torch.randn(
        batch, c, model.action_dim, generator=g
    )
    return {"encoder": (rgb,), "predictor_step": (lat, states, actions)}


GRAPH_IO = {
    "encoder": (["rgb"], ["latents"]),
    "predictor_step": (["latents", "states", "actions"], ["next_latents", "next_states"]),
}


def _graph(model: JepaWorldModel, name: str) -> nn.Module:
    return EncoderGraph(model) if name == "encoder" else PredictorStepGraph(model)


def export_graph(model: JepaWorldModel, name: str, f: str | Path | io.BytesIO) -> None:
    """Write graph ``name`` ("encoder" | "predictor_step") of a CPU model to a path or buffer.

    Every input and output has a dynamic batch axis; the predictor step's inputs also have a
    dynamic time axis ("steps"), so one file serves any context length and rollout step.
    """
    ins, outs = GRAPH_IO[name]
    axes = {n: {0: "batch"} for n in ins + outs}
    if name == "predictor_step":  # any context length: the rollout grows it step by step
        axes.update({n: {0: "batch", 1: "steps"} for n in ins})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notices
        torch.onnx.export(
            _graph(model, name),
            example_inputs(model)[name],
            f if isinstance(f, io.BytesIO) else str(f),
            input_names=ins,
            output_names=outs,
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


def export_onnx(model: JepaWorldModel, out_dir: str | Path) -> dict[str, Any]:
    """Write encoder.onnx + predictor_step.onnx + export.json into ``out_dir``; returns the JSON."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = model.cpu().eval()
    for name in GRAPH_IO:
        export_graph(model, name, out / f"{name}.onnx")
    info = {
        "opset": OPSET,
        "files": {k: f"{k}.onnx" for k in GRAPH_IO},
        "image_size": model.image_size,
        "context_len": model.context_len,
        "num_tokens": model.num_tokens,
        "latent_dim": model.latent_dim,
        "action_dim": model.action_dim,
        "state_dim": model.state_dim,
    }
    (out / "export.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


@torch.no_grad()
def onnx_parity(model: JepaWorldModel, out_dir: str | Path, batch: int = 3) -> dict[str, float]:
    """Max |onnxruntime - torch| of every output of both graphs on random inputs."""
    import onnxruntime as ort

    model = model.cpu().eval()
    ex = example_inputs(model, batch)
    refs = {
        "encoder": (EncoderGraph(model)(*ex["encoder"]),),
        "predictor_step": PredictorStepGraph(model)(*ex["predictor_step"]),
    }
    res = {}
    for name, inputs in ex.items():
        sess = ort.InferenceSession(
            str(Path(out_dir) / f"{name}.onnx"), providers=["CPUExecutionProvider"]
        )
        feed = {i.name: t.numpy() for i, t in zip(sess.get_inputs(), inputs, strict=True)}
        outs = sess.run(None, feed)
        res[name] = max(
            float((torch.from_numpy(o) - r).abs().max())
            for o, r in zip(outs, refs[name], strict=True)
        )
    return res


# TensorRT optimisation profile of the dynamic axes: (min, opt, max). Batch covers V-JEPA 2-AC's
# 400-800 CEM samples; steps cover a context of up to 16 frames plus a 16-step rollout.
TRT_BATCH = (1, 400, 4096)
TRT_STEPS = (1, 2, 32)


def tensorrt_engine_bytes(onnx: bytes, name: str) -> bytes:
    """A serialized TensorRT engine of one ONNX graph (GPU hosts with ``tensorrt`` only)."""
    from jepa_wm.models.backends import require_tensorrt

    require_tensorrt()
    import tensorrt as trt

    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx):
        raise JepaWmError(f"TensorRT could not parse {name}.onnx: {parser.get_error(0)}")
    config = builder.create_builder_config()
    profile = builder.create_optimization_profile()
    for i in range(network.num_inputs):
        inp = network.get_input(i)
        shape = list(inp.shape)
        lo, opt, hi = list(shape), list(shape), list(shape)
        for axis, (a, b, c) in ((0, TRT_BATCH), (1, TRT_STEPS)):
            if axis < len(shape) and shape[axis] == -1:
                lo[axis], opt[axis], hi[axis] = a, b, c
        profile.set_shape(inp.name, lo, opt, hi)
    config.add_optimization_profile(profile)
    blob = builder.build_serialized_network(network, config)
    if blob is None:
        raise JepaWmError(f"TensorRT failed to build an engine for {name}.onnx")
    return bytes(blob)


def build_tensorrt(onnx_dir: str | Path) -> list[Path]:
    """Build ``<name>.engine`` next to each ONNX file (GPU hosts with ``tensorrt`` only)."""
    engines = []
    for name in GRAPH_IO:
        blob = tensorrt_engine_bytes((Path(onnx_dir) / f"{name}.onnx").read_bytes(), name)
        path = Path(onnx_dir) / f"{name}.engine"
        path.write_bytes(blob)
        engines.append(path)
    return engines
