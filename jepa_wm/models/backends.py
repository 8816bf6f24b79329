"""Rollout backends: where the planner's batched rollout runs (eager torch, onnxruntime, TensorRT).

A backend has the two calls of the :class:`~jepa_wm.models.interfaces.WorldModel` planning
protocol, so ``WorldModelPolicy`` plans through any of them unchanged:

* ``make_context(latents [1,C,P,D], states [1,C,S], past_actions [1,C-1,A]) -> context``
* ``rollout(context, actions [N,H,A]) -> (latents [N,H,P,D], states [N,H,S])`` (raw units, torch
  tensors on the policy's device)

Backends (``BACKENDS``; one option, ``backend``, in the planner config):

* ``torch``: the model itself (KV-cached). On CUDA it replays a captured CUDA graph of the
  fixed-shape rollout (``jepa_wm.models.fast_rollout``), eager with a logged reason otherwise.
* ``onnxruntime``: the exported ``predictor_step.onnx`` (CPU provider; CUDA when
  ``onnxruntime-gpu`` provides it and the device is CUDA), uncached: step h re-runs the C + h
  frames so far, as ``model.rollout_naive`` does. Matches eager torch within ``PARITY_ATOL``.
* ``tensorrt``: an engine built from the same ONNX graph; only where the ``tensorrt`` package
  imports (GPU hosts), otherwise one :class:`BackendError` naming the package.

The frame encoder stays in torch for every backend: it runs once per MPC step, the predictor
runs samples x iterations x horizon times.

Usage::

    backend = make_backend("onnxruntime", model, "cpu")           # exports in memory
    backend = make_backend("onnxruntime", model, "cpu", path="runs/reach/onnx")
    ctx = backend.make_context(z, s, past)
    lat, st = backend.rollout(ctx, actions)
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from jepa_wm.errors import JepaWmError
from jepa_wm.models.world_model import JepaWorldModel

BACKENDS = ("torch", "onnxruntime", "tensorrt")
# Max |backend - eager torch| on the rollout's latents (layer-normed, ~unit scale) and states
# (raw units) that the parity tests hold every backend to (fp32 kernels differ in summation
# order; measured ~1e-6 on the tiny preset).
PARITY_ATOL = 1e-4


class BackendError(JepaWmError):
    """A rollout backend cannot run here, or its file does not match the checkpoint."""


@runtime_checkable
class RolloutBackend(Protocol):
    name: str

    def make_context(
        self, latents: torch.Tensor, states: torch.Tensor, past_actions: torch.Tensor
    ) -> Any:
        """latents [1,C,P,D], states [1,C,S] (raw), past_actions [1,C-1,A] (raw) -> context."""
        ...

    def rollout(self, context: Any, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """actions [N,H,A] (raw) -> latents [N,H,P,D], states [N,H,S] (raw), on the device."""
        ...


class TorchBackend:
    """Eager torch (KV-cached); on CUDA through the captured-graph fast path unless ``eager``."""

    name = "torch"

    def __init__(self, model: JepaWorldModel, device: torch.device | str, eager: bool = False):
        self.model = model
        self.device = torch.device(device)
        self.fast = None
        if self.device.type == "cuda" and not eager:
            from jepa_wm.models.fast_rollout import GraphedRollout

            self.fast = GraphedRollout(model, self.device)

    def make_context(
        self, latents: torch.Tensor, states: torch.Tensor, past_actions: torch.Tensor
    ) -> Any:
        return self.model.make_context(latents, states, past_actions)

    def rollout(self, context: Any, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.fast is not None:
            return self.fast(context, actions)
        return self.model.rollout(context, actions)


@dataclasses.dataclass
class History:
    """The raw history an uncached backend re-runs: latents [1,C,P,D], states [1,C,S],
    past_actions [1,C-1,A] (raw units, float32 numpy)."""

    latents: np.ndarray
    states: np.ndarray
    past_actions: np.ndarray


def _history(latents: torch.Tensor, states: torch.Tensor, past: torch.Tensor) -> History:
    def arr(t: torch.Tensor) -> np.ndarray:
        return np.ascontiguousarray(t.detach().to("cpu", torch.float32).numpy())

    if latents.shape[1] < 1 or past.shape[1] != latents.shape[1] - 1:
        raise ValueError(
            f"context of {latents.shape[1]} frames needs {latents.shape[1] - 1} past actions, "
            f"got {past.shape[1]}"
        )
    return History(arr(latents), arr(states), arr(past))


def _check_graph_shapes(model: JepaWorldModel, shapes: dict[str, list[Any]], where: str) -> None:
    """The predictor graph's static dims (P, D, S, A) must be the checkpoint's."""
    want = {
        "latents": [model.num_tokens, model.latent_dim],
        "states": [model.state_dim],
        "actions": [model.action_dim],
    }
    for name, dims in want.items():
        if name not in shapes:
            raise BackendError(f"{where}: no input {name!r} (not a jepa-wm predictor_step graph)")
        got = list(shapes[name][2:])
        if got != dims:
            raise BackendError(
                f"{where}: input {name!r} has trailing shape {got}, the checkpoint needs {dims} "
                "(exported from another model; re-run `jepa-wm export`)"
            )


class OnnxRuntimeBackend:
    """``predictor_step.onnx`` through onnxruntime, stepped H times per rollout (uncached)."""

    name = "onnxruntime"

    def __init__(
        self,
        model: JepaWorldModel,
        device: torch.device | str = "cpu",
        path: str | Path | None = None,
        threads: int | None = None,
    ) -> None:
        if importlib.util.find_spec("onnxruntime") is None:
            raise BackendError(
                "onnxruntime backend unavailable: the 'onnxruntime' Python package is not "
                "installed (pip install onnxruntime, or onnxruntime-gpu on CUDA hosts)"
            )
        import onnxruntime as ort

        self.device = torch.device(device)
        self.model = model
        source, where = _onnx_source(model, path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(threads or torch.get_num_threads())
        opts.log_severity_level = 3  # warnings about unused initialisers are not the user's
        providers = ["CPUExecutionProvider"]
        if self.device.type == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        try:
            self.session = ort.InferenceSession(source, opts, providers=providers)
        except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
            raise BackendError(f"{where}: onnxruntime cannot load it: {exc}") from None
        shapes = {i.name: list(i.shape) for i in self.session.get_inputs()}
        _check_graph_shapes(model, shapes, where)
        self.providers = self.session.get_providers()
        self._check_weights(where)

    def _check_weights(self, where: str) -> None:
        """One random step against torch: a file of the same shapes but other weights fails."""
        from jepa_wm.models.export import PredictorStepGraph

        m, g = self.model, torch.Generator().manual_seed(0)
        steps = min(2, m.context_len)
        lat = torch.nn.functional.layer_norm(
            torch.randn(1, steps, m.num_tokens, m.latent_dim, generator=g), (m.latent_dim,)
        )
        st = m.state_mean.cpu() + m.state_std.cpu() * torch.randn(
            1, steps, m.state_dim, generator=g
        )
        act = m.action_mean.cpu() + m.action_std.cpu() * torch.randn(
            1, steps, m.action_dim, generator=g
        )
        with torch.no_grad():
            ref = PredictorStepGraph(m)(*(t.to(self.device) for t in (lat, st, act)))[0]
        out = self._run(lat.numpy(), st.numpy(), act.numpy())[0]
        err = float(np.abs(out - ref.cpu().numpy()).max())
        if not err <= PARITY_ATOL * 10:
            raise BackendError(
                f"{where}: the graph does not reproduce this checkpoint's predictor (max diff "
                f"{err:.3g}): exported from other weights; re-run `jepa-wm export`"
            )

    def _run(self, lat: np.ndarray, st: np.ndarray, act: np.ndarray) -> list[np.ndarray]:
        return self.session.run(None, {"latents": lat, "states": st, "actions": act})

    def make_context(
        self, latents: torch.Tensor, states: torch.Tensor, past_actions: torch.Tensor
    ) -> History:
        return _history(latents, states, past_actions)

    def rollout(self, context: History, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, horizon = actions.shape[:2]
        acts = actions.detach().to("cpu", torch.float32).numpy()
        z = np.repeat(context.latents, n, axis=0)
        s = np.repeat(context.states, n, axis=0)
        a = np.concatenate([np.repeat(context.past_actions, n, axis=0), acts], axis=1)
        zs, ss = [], []
        for _ in range(horizon):
            nz, ns = self._run(z, s, np.ascontiguousarray(a[:, : z.shape[1]]))
            zs.append(nz[:, None])
            ss.append(ns[:, None])
            z = np.concatenate([z, zs[-1]], axis=1)
            s = np.concatenate([s, ss[-1]], axis=1)
        lat = torch.from_numpy(np.concatenate(zs, axis=1)).to(self.device)
        return lat, torch.from_numpy(np.concatenate(ss, axis=1)).to(self.device)


def _onnx_source(model: JepaWorldModel, path: str | Path | None) -> tuple[bytes | str, str]:
    """(what InferenceSession opens, a name for errors): the file, or an in-memory export."""
    if path is None or str(path) == "":
        from jepa_wm.models.export import export_graph

        buf = io.BytesIO()
        cpu_model = model if next(model.parameters()).device.type == "cpu" else None
        if cpu_model is None:  # export traces on CPU; the live model stays where it is
            import copy

            cpu_model = copy.deepcopy(model).cpu()
        export_graph(cpu_model.eval(), "predictor_step", buf)
        return buf.getvalue(), "in-memory predictor_step.onnx"
    p = Path(path)
    if p.is_dir():
        p = p / "predictor_step.onnx"
    if not p.is_file():
        raise BackendError(f"{p}: ONNX file not found (write it with `jepa-wm export`)")
    return str(p), str(p)


def require_tensorrt() -> None:
    """Raise the one clear error when the ``tensorrt`` package does not import here."""
    if importlib.util.find_spec("tensorrt") is None:
        raise BackendError(
            "tensorrt backend unavailable: the 'tensorrt' Python package is not importable here "
            "(it needs an NVIDIA GPU host with TensorRT); use backend 'onnxruntime' or 'torch'"
        )


def make_backend(
    name: str,
    model: JepaWorldModel,
    device: torch.device | str = "cpu",
    path: str | Path | None = None,
) -> RolloutBackend:
    """The rollout backend ``name`` (one of BACKENDS) for ``model`` on ``device``.

    ``path``: an exported ONNX file or directory (``onnxruntime``, ``tensorrt``); empty to
    export the checkpoint in memory. Raises BackendError (one line) for an unknown name, a
    package that is not installed, a file that is missing, unreadable or of another model.
    """
    if name == "torch":
        return TorchBackend(model, device)
    if name == "onnxruntime":
        return OnnxRuntimeBackend(model, device, path)
    if name == "tensorrt":
        require_tensorrt()
        from jepa_wm.models.tensorrt_backend import TensorRTBackend

        return TensorRTBackend(model, device, path)
    raise BackendError(f"unknown backend {name!r}; valid backends: {', '.join(BACKENDS)}")
