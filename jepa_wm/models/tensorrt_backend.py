"""The ``tensorrt`` rollout backend: ``predictor_step`` as a TensorRT engine on a CUDA device.

Imported only where the ``tensorrt`` package imports (``backends.make_backend`` checks first).
The engine comes from ``path`` (a ``predictor_step.engine`` written by ``jepa-wm export
--backend tensorrt``, or its directory) or is built at start-up from an in-memory ONNX export.
Like the onnxruntime backend it is uncached: step h re-runs the C + h frames so far. Inputs
and outputs are torch CUDA tensors whose addresses the engine reads and writes directly.

Not exercised on the machines this was written on (``tensorrt`` cannot be installed there);
``jepa_wm/bench/gpu_table.py`` runs it, with its parity against eager torch, where it imports.
"""

from __future__ import annotations

import io
from pathlib import Path

import tensorrt as trt
import torch

from jepa_wm.models.backends import BackendError, History, _check_graph_shapes, _history
from jepa_wm.models.world_model import JepaWorldModel


class TensorRTBackend:
    """``predictor_step`` through a TensorRT execution context, stepped H times per rollout."""

    name = "tensorrt"

    def __init__(
        self, model: JepaWorldModel, device: torch.device | str, path: str | Path | None = None
    ) -> None:
        self.device = torch.device(device)
        if self.device.type != "cuda":
            raise BackendError(f"tensorrt backend needs a CUDA device, not {self.device}")
        logger = trt.Logger(trt.Logger.WARNING)
        blob, where = _engine_blob(model, path)
        self.engine = trt.Runtime(logger).deserialize_cuda_engine(blob)
        if self.engine is None:
            raise BackendError(f"{where}: TensorRT cannot deserialize it (another TensorRT?)")
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        shapes = {n: list(self.engine.get_tensor_shape(n)) for n in names}
        _check_graph_shapes(model, shapes, where)
        self.context = self.engine.create_execution_context()
        self.model = model

    def make_context(
        self, latents: torch.Tensor, states: torch.Tensor, past_actions: torch.Tensor
    ) -> History:
        return _history(latents, states, past_actions)

    def _step(
        self, z: torch.Tensor, s: torch.Tensor, a: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        n = z.shape[0]
        m = self.model
        out_z = torch.empty(n, m.num_tokens, m.latent_dim, device=self.device)
        out_s = torch.empty(n, m.state_dim, device=self.device)
        for name, t in (("latents", z), ("states", s), ("actions", a)):
            self.context.set_input_shape(name, tuple(t.shape))
            self.context.set_tensor_address(name, t.data_ptr())
        self.context.set_tensor_address("next_latents", out_z.data_ptr())
        self.context.set_tensor_address("next_states", out_s.data_ptr())
        stream = torch.cuda.current_stream(self.device)
        if not self.context.execute_async_v3(stream.cuda_stream):
            raise BackendError("TensorRT execution failed")
        return out_z, out_s

    def rollout(self, context: History, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, horizon = actions.shape[:2]

        def dev(x) -> torch.Tensor:  # x: a numpy array
            return torch.from_numpy(x).to(self.device)

        z = dev(context.latents).expand(n, -1, -1, -1).contiguous()
        s = dev(context.states).expand(n, -1, -1).contiguous()
        past = dev(context.past_actions).expand(n, -1, -1)
        a = torch.cat([past, actions.float()], dim=1).contiguous()
        zs, ss = [], []
        for _ in range(horizon):
            nz, ns = self._step(z, s, a[:, : z.shape[1]].contiguous())
            zs.append(nz[:, None])
            ss.append(ns[:, None])
            z, s = torch.cat([z, zs[-1]], 1), torch.cat([s, ss[-1]], 1)
        return torch.cat(zs, 1), torch.cat(ss, 1)


def _engine_blob(model: JepaWorldModel, path: str | Path | None) -> tuple[bytes, str]:
    """(serialized engine, a name for errors): the file, or built from an in-memory export."""
    from jepa_wm.models.export import export_graph, tensorrt_engine_bytes

    if path:
        p = Path(path)
        if p.is_dir():
            p = p / "predictor_step.engine"
        if not p.is_file():
            raise BackendError(
                f"{p}: engine not found (build it with `jepa-wm export --backend tensorrt`)"
            )
        return p.read_bytes(), str(p)
    import copy

    buf = io.BytesIO()
    export_graph(copy.deepcopy(model).cpu().eval(), "predictor_step", buf)
    return tensorrt_engine_bytes(
        buf.getvalue(), "predictor_step"
    ), "in-memory predictor_step engine"
