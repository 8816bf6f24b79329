"""Checkpoints: ``model.safetensors`` (weights + normalisation buffers) and ``model.json``.

The JSON holds the format name and version, the resolved model config, the normalisation
stats, every tensor's shape, run metadata and the SHA-256 of the weights file, so loading can
refuse a tampered, truncated or mismatched checkpoint with a clear :class:`CheckpointError`.
No pickle.

Integrity (format version 2): the weights file's safetensors header carries a copy of every
other field of model.json (config, stats, tensors, meta), so the one SHA-256 covers the config
as well as the weights. Loading checks the hash, then compares model.json with that copy and
refuses any edit naming the field (``config.predictor.heads is 8 in model.json, the
checkpoint was saved with 4``). Version 1 files (hash of the weights only) are refused;
``upgrade_checkpoint`` re-saves one after a human has checked it.

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
FORMAT_VERSION = 2
WEIGHTS = "model.safetensors"
META = "model.json"
MANIFEST_KEY = "jepa_wm_manifest"  # safetensors header metadata: model.json less its sha256


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
    doc: dict[str, Any] = {
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
        "meta": meta or {},
    }
    doc = json.loads(json.dumps(doc))  # what model.json will read back as (tuples -> lists)
    blob = save(tensors, metadata={MANIFEST_KEY: json.dumps(doc, sort_keys=True)})
    doc["sha256"] = hashlib.sha256(blob).hexdigest()
    _atomic_write_bytes(out / WEIGHTS, blob)
    _atomic_write_bytes(out / META, (json.dumps(doc, indent=2) + "\n").encode())
    return out


def upgrade_checkpoint(path: str | Path) -> Path:
    """Re-save a format-version-1 checkpoint as version 2 (same tensors, config and meta).

    Version 1 hashed only the weights: run this only on a checkpoint whose model.json you
    trust. Returns the checkpoint dir.
    """
    p = _resolve(path)
    doc = _read_doc(p)
    if doc.get("format_version") != 1:
        raise CheckpointError(f"{p / META}: format_version {doc.get('format_version')!r} is not 1")
    doc["format_version"] = FORMAT_VERSION
    model = _build(p, _config(p, doc), _load_tensors(p, doc, check_manifest=False))
    return save_checkpoint(model, p, meta=doc.get("meta"))


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


def _read_doc(p: Path) -> dict[str, Any]:
    try:
        doc = json.loads((p / META).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{p / META}: invalid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(f"{p / META}: not a {FORMAT} file")
    return doc


def read_checkpoint_meta(path: str | Path) -> dict[str, Any]:
    """The validated model.json of a checkpoint (format, version, config).

    Checks the format and version only; ``load_world_model`` also checks the hash.
    """
    p = _resolve(path)
    doc = _read_doc(p)
    if doc.get("format_version") == 1:
        raise CheckpointError(
            f"{p / META}: format_version 1 hashes the weights but not the config; re-save it "
            f"with jepa_wm.models.checkpoint.upgrade_checkpoint after checking model.json"
        )
    if doc.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{p / META}: format_version {doc.get('format_version')!r} is not supported "
            f"(this code reads version {FORMAT_VERSION})"
        )
    return doc


def _load_tensors(
    p: Path, doc: dict[str, Any], check_manifest: bool = True
) -> dict[str, torch.Tensor]:
    """The weights, after the SHA-256 and (version 2) the model.json-vs-header check."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    blob = (p / WEIGHTS).read_bytes()
    if hashlib.sha256(blob).hexdigest() != doc.get("sha256"):
        raise CheckpointError(
            f"{p / WEIGHTS}: SHA-256 does not match model.json (tampered or truncated)"
        )
    try:
        tensors = load(blob)
    except (SafetensorError, ValueError) as exc:
        raise CheckpointError(f"{p / WEIGHTS}: unreadable safetensors: {exc}") from None
    if check_manifest:
        _check_manifest(p, doc, _header_metadata(blob).get(MANIFEST_KEY))
    return tensors


def _header_metadata(blob: bytes) -> dict[str, str]:
    """``__metadata__`` of a safetensors blob: u64 little-endian header size, then JSON."""
    size = int.from_bytes(blob[:8], "little")
    try:
        header = json.loads(blob[8 : 8 + size])
    except (ValueError, UnicodeDecodeError):
        return {}
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    return meta if isinstance(meta, dict) else {}


def _check_manifest(p: Path, doc: dict[str, Any], manifest: str | None) -> None:
    """model.json (less sha256) must equal the copy the hashed weights header carries."""
    if manifest is None:
        raise CheckpointError(f"{p / WEIGHTS}: no {MANIFEST_KEY} in its header (not saved here)")
    saved = json.loads(manifest)
    current = {k: v for k, v in doc.items() if k != "sha256"}
    field = _first_difference(current, saved)
    if field is not None:
        name, now, then = field
        raise CheckpointError(
            f"{p / META}: {name} is {_short(now)} in model.json, but the checkpoint was saved "
            f"with {_short(then)} (edited after saving; the SHA-256 covers the config)"
        )


_MISSING = object()


def _first_difference(a: Any, b: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """(dotted path, a's value, b's value) of the first place a and b differ, else None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            sub = f"{path}.{key}" if path else str(key)
            diff = _first_difference(a.get(key, _MISSING), b.get(key, _MISSING), sub)
            if diff is not None:
                return diff
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            diff = _first_difference(x, y, f"{path}[{i}]")
            if diff is not None:
                return diff
        return None
    same = type(a) is type(b) and a == b
    return None if same else (path, a, b)


def _short(value: Any) -> str:
    if value is _MISSING:
        return "absent"
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
    cfg = _config(p, doc)  # a malformed config is named as such, before any hash talk
    return _build(p, cfg, _load_tensors(p, doc)).to(device).eval()


def _config(p: Path, doc: dict[str, Any]) -> ModelConfig:
    try:
        return from_dict(ModelConfig, doc.get("config"), where=str(p / META), keys="config")
    except ConfigError as exc:
        raise CheckpointError(str(exc)) from None


def _build(p: Path, cfg: ModelConfig, tensors: dict[str, torch.Tensor]) -> JepaWorldModel:
    model = JepaWorldModel(cfg)
    _check_state(model, tensors, p / WEIGHTS)
    model.load_state_dict(tensors)
    return model


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
