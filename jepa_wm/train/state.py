"""Resumable training state without pickle: optimizer tensors in safetensors, the rest in JSON.

:class:`TrainState` is everything ``--resume`` needs: where the run is (stage, step), the best
validation score, the non-finite clips dropped so far, and the tensors of the optimizer and of
the objective's parts outside the model. It is written and read here only
(:meth:`TrainState.save`, :meth:`TrainState.load`); the model's weights are the run's
checkpoint (``model.safetensors``).

``<run>/train_state.safetensors`` holds ``opt.<i>.<name>`` (per-parameter optimizer state),
``ema.<name>`` (EMA target encoder), ``probe.<name>`` (joint-mode state probe) and
``maskpred.<name>`` (the masked-prediction predictor);
``<run>/train_state.json`` holds the step, the stage, the optimizer's param-group
hyper-parameters, the best validation score and the SHA-256 of the tensor file.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from jepa_wm.errors import CheckpointError

STATE_TENSORS = "train_state.safetensors"
STATE_JSON = "train_state.json"
STATE_VERSION = 1


def optimizer_tensors(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split ``opt.state_dict()`` into tensors (safetensors) and JSON-able scalars/groups."""
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, st in sd["state"].items():
        for name, val in st.items():
            if torch.is_tensor(val):
                tensors[f"opt.{idx}.{name}"] = val.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(idx), {})[name] = val
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def restore_optimizer(
    opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict[str, Any]
) -> None:
    """Inverse of :func:`optimizer_tensors`; CheckpointError if the parameter layout differs."""
    state: dict[int, dict[str, Any]] = {}
    for key, val in tensors.items():
        if key.startswith("opt."):
            _, idx, name = key.split(".", 2)
            state.setdefault(int(idx), {})[name] = val
    for idx, sc in meta.get("scalars", {}).items():
        state.setdefault(int(idx), {}).update(sc)
    groups = meta["param_groups"]
    if [len(g["params"]) for g in groups] != [len(g["params"]) for g in opt.param_groups]:
        raise CheckpointError("train state: optimizer parameter groups do not match the model")
    try:
        opt.load_state_dict({"state": state, "param_groups": groups})
    except (ValueError, KeyError) as exc:
        raise CheckpointError(f"train state: cannot restore the optimizer: {exc}") from None


def save_train_state(out_dir: Path, tensors: dict[str, torch.Tensor], info: dict[str, Any]) -> None:
    """Atomically write the train-state tensor file and its JSON (written last)."""
    from safetensors.torch import save

    blob = save(tensors) if tensors else save({"_empty": torch.zeros(1)})
    tmp = out_dir / (STATE_TENSORS + ".tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, out_dir / STATE_TENSORS)
    doc = {"version": STATE_VERSION, "sha256": hashlib.sha256(blob).hexdigest(), **info}
    tmp = out_dir / (STATE_JSON + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    os.replace(tmp, out_dir / STATE_JSON)


def load_train_state(out_dir: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read and verify the train state of ``out_dir``; CheckpointError when absent or tampered."""
    from safetensors.torch import load

    js, st = out_dir / STATE_JSON, out_dir / STATE_TENSORS
    if not js.is_file() or not st.is_file():
        raise CheckpointError(f"{out_dir}: nothing to resume (no {STATE_JSON}/{STATE_TENSORS})")
    try:
        doc = json.loads(js.read_text())
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{js}: invalid JSON: {exc}") from None
    if doc.get("version") != STATE_VERSION:
        raise CheckpointError(f"{js}: train-state version {doc.get('version')!r} not supported")
    blob = st.read_bytes()
    if hashlib.sha256(blob).hexdigest() != doc.get("sha256"):
        raise CheckpointError(f"{st}: SHA-256 does not match {STATE_JSON} (tampered or truncated)")
    return load(blob), doc


_NO_OPTIMIZER: dict[str, Any] = {"param_groups": [], "scalars": {}}


@dataclass
class TrainState:
    """The resumable state of a run (one per process; rank 0 saves it).

    stage: index into the run's stages; step: steps done within that stage; best_val: the best
    validation loss of the stage (inf: none yet); nonfinite_dropped: clips dropped for NaN/inf
    state or action so far; tensors: the optimizer's per-parameter state (``opt.<i>.<name>``)
    and the objective's resumable parts (``<prefix>.<name>``, e.g. ``ema.``, ``probe.``,
    ``maskpred.``), all on CPU; optimizer: the optimizer's param groups and scalar state.
    A fresh run and a new stage have no tensors (nothing to restore).
    """

    stage: int = 0
    step: int = 0
    best_val: float = math.inf
    nonfinite_dropped: int = 0
    tensors: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)
    optimizer: dict[str, Any] = field(default_factory=lambda: dict(_NO_OPTIMIZER), repr=False)

    def next_stage(self) -> None:
        """Move to the start of the next stage: nothing of the last one is restored there."""
        self.stage, self.step, self.best_val = self.stage + 1, 0, math.inf
        self.tensors, self.optimizer = {}, dict(_NO_OPTIMIZER)

    def capture(self, opt: torch.optim.Optimizer, parts: dict[str, nn.Module]) -> None:
        """Take the tensors of ``opt`` and of ``parts`` (by key prefix) as they are now."""
        self.tensors, self.optimizer = optimizer_tensors(opt)
        for prefix, module in parts.items():
            self.tensors.update(
                {
                    f"{prefix}.{k}": v.detach().cpu().contiguous()
                    for k, v in module.state_dict().items()
                }
            )

    def restore(self, opt: torch.optim.Optimizer, parts: dict[str, nn.Module]) -> None:
        """Load the captured state into ``opt`` and ``parts``; no-op when none was captured
        (a fresh run or a new stage).

        Raises CheckpointError when the optimizer's parameter layout differs."""
        if not self.optimizer["param_groups"]:
            return
        restore_optimizer(opt, self.tensors, self.optimizer)
        for prefix, module in parts.items():
            n = len(prefix) + 1
            part = {k[n:]: v for k, v in self.tensors.items() if k.startswith(prefix + ".")}
            if part:
                module.load_state_dict(part)

    def save(self, out_dir: Path) -> None:
        """Atomically write ``<out_dir>/train_state.{safetensors,json}``."""
        info = {
            "stage": self.stage,
            "step": self.step,
            "best_val": None if math.isinf(self.best_val) else self.best_val,
            "nonfinite_dropped": self.nonfinite_dropped,
            "optimizer": self.optimizer,
        }
        save_train_state(out_dir, self.tensors, info)

    @classmethod
    def load(cls, out_dir: Path) -> TrainState:
        """The state saved in ``out_dir``; CheckpointError when absent, tampered or of
        another version."""
        tensors, doc = load_train_state(out_dir)
        tensors.pop("_empty", None)  # the placeholder of a state without tensors
        best = math.inf if doc.get("best_val") is None else float(doc["best_val"])
        return cls(
            stage=int(doc["stage"]),
            step=int(doc["step"]),
            best_val=best,
            nonfinite_dropped=int(doc.get("nonfinite_dropped", 0)),
            tensors=tensors,
            optimizer=doc.get("optimizer", dict(_NO_OPTIMIZER)),
        )
