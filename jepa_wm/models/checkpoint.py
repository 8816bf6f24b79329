"""Checkpoints: ``model.safetensors`` (weights + normalisation buffers) and ``model.json``.

The JSON holds the format name and version, the resolved model config, the normalisation
stats, every tensor's shape and the SHA-256 of the weights file, so loading can refuse a
tampered, truncated or mismatched checkpoint with a clear :class:`CheckpointError`. No pickle.

Usage::

    save_checkpoint(model, run_dir, meta={"step": 1000})
    model = load_world_model(run_dir, device="cpu")
    load_encoder_weights(model, "other_run/")   # encoder only (two-stage or transfer)
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch

from jepa_wm.config import from_dict, to_dict
from jepa_wm.errors import CheckpointError, ConfigError
from jepa_wm.models.config import ModelConfig
from jepa_wm.models.world_model import JepaWorldModel

FORMAT = "jepa-wm-checkpoint"
FORMAT_VERSION = 1
WEIGHTS = "model.safetensors"
META = "model.json"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def save_checkpoint(
    model: JepaWorldModel, out_dir: str | Path, meta: dict[str, Any] | None = None
) -> Path:
    """Write ``out_dir/model.safetensors`` + ``out_dir/model.json``; returns ``out_dir``.

    ``meta`` (JSON-able: step, data stores, metrics) is stored under "meta". Files are written
    to a temporary name and renamed, so a crash never leaves a half-written checkpoint.
    """
    from safetensors.torch import save

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    blob = save(tensors)
    _atomic_write_bytes(out / WEIGHTS, blob)
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": to_dict(model.config),
        "stats": {
            name: {
                "mean": getattr(model, f"{name}_mean").tolist(),
                "std": getattr(model, f"{name}_std").tolist(),
            }
            for name in ("action", "state")
        },
        "tensors": {k: list(v.shape) for k, v in tensors.items()},
        "sha256": hashlib.sha256(blob).hexdigest(),
        "meta": meta or {},
    }
    _atomic_write_bytes(out / META, (json.dumps(doc, indent=2) + "\n").encode())
    return out


def _resolve(path: str | Path) -> Path:
    """A run dir, or a path to its model.json / model.safetensors -> the checkpoint dir."""
    p = Path(path)
    if p.is_file() and p.name in (WEIGHTS, META):
        p = p.parent
    if not p.is_dir():
        raise CheckpointError(f"{path}: checkpoint not found")
    for name in (META, WEIGHTS):
        if not (p / name).is_file():
            raise CheckpointError(f"{p}: missing {name} (not a jepa-wm checkpoint dir)")
    return p


def read_checkpoint_meta(path: str | Path) -> dict[str, Any]:
    """The validated model.json of a checkpoint (format, version, config)."""
    p = _resolve(path)
    try:
        doc = json.loads((p / META).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{p / META}: invalid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(f"{p / META}: not a {FORMAT} file")
    if doc.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{p / META}: format_version {doc.get('format_version')!r} is not supported "
            f"(this code reads version {FORMAT_VERSION})"
        )
    return doc


def _load_tensors(p: Path, doc: dict[str, Any]) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load

    blob = (p / WEIGHTS).read_bytes()
    if hashlib.sha256(blob).hexdigest() != doc.get("sha256"):
        raise CheckpointError(
            f"{p / WEIGHTS}: SHA-256 does not match model.json (tampered or truncated)"
        )
    try:
        return load(blob)
    except (SafetensorError, ValueError) as exc:
        raise CheckpointError(f"{p / WEIGHTS}: unreadable safetensors: {exc}") from None


def _check_state(
    model: torch.nn.Module, tensors: dict[str, torch.Tensor], where: Path, prefix: str = ""
) -> None:
    """Every expected tensor present with the expected shape; no unexpected ones."""
    want = {k: v.shape for k, v in model.state_dict().items()}
    got = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    if missing or extra:
        raise CheckpointError(
            f"{where}: weights do not match the model config "
            f"(missing: {missing[:3]}, unexpected: {extra[:3]})"
        )
    for k, shape in want.items():
        if got[k].shape != shape:
            raise CheckpointError(
                f"{where}: tensor {prefix}{k} has shape {tuple(got[k].shape)}, expected {tuple(shape)}"
            )


def load_world_model(path: str | Path, device: torch.device | str = "cpu") -> JepaWorldModel:
    """Load a checkpoint dir (or its model.json/model.safetensors) onto ``device``, in eval mode.

    Raises CheckpointError when files are missing, foreign, of another format version,
    tampered with (SHA-256), or do not match the stored config.
    """
    p = _resolve(path)
    doc = read_checkpoint_meta(p)
    try:
        cfg = from_dict(ModelConfig, doc.get("config"), where=f"{p / META}:config")
    except ConfigError as exc:
        raise CheckpointError(str(exc)) from None
    tensors = _load_tensors(p, doc)
    model = JepaWorldModel(cfg)
    _check_state(model, tensors, p / WEIGHTS)
    model.load_state_dict(tensors)
    return model.to(device).eval()


def load_encoder_weights(model: JepaWorldModel, path: str | Path) -> None:
    """Copy the encoder weights of checkpoint ``path`` into ``model.encoder``.

    The checkpoint's encoder config must equal the model's (CheckpointError otherwise).
    """
    p = _resolve(path)
    doc = read_checkpoint_meta(p)
    theirs = (doc.get("config") or {}).get("encoder")
    ours = to_dict(model.config.encoder)
    if theirs != ours:
        raise CheckpointError(f"{p}: encoder config {theirs} does not match the model's {ours}")
    tensors = _load_tensors(p, doc)
    _check_state(model.encoder, tensors, p / WEIGHTS, prefix="encoder.")
    model.encoder.load_state_dict(
        {k[len("encoder.") :]: v for k, v in tensors.items() if k.startswith("encoder.")}
    )
