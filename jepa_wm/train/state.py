"""Resumable training state without pickle: optimizer tensors in safetensors, the rest in JSON.

``<run>/train_state.safetensors`` holds ``opt.<i>.<name>`` (per-parameter optimizer state),
``ema.<name>`` (EMA target encoder), ``probe.<name>`` (joint-mode state probe) and
``maskpred.<name>`` (the masked-prediction predictor);
``<run>/train_state.json`` holds the step, the stage, the optimizer's param-group
hyper-parameters, the best validation score and the SHA-256 of the tensor file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch

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
