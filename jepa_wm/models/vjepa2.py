"""Import ViT encoder weights saved in V-JEPA 2's state-dict layout into our ViT presets.

V-JEPA 2 (Assran et al. 2025) names its ViT's tensors ``patch_embed.proj.{weight,bias}`` (a
Conv3d over tubelets of 2 frames for video models, a Conv2d for image models), ``pos_embed``
[1, N, D] (absent in the RoPE models), ``blocks.<i>.{norm1,norm2}``, ``blocks.<i>.attn.{qkv,
proj}``, ``blocks.<i>.mlp.{fc1,fc2}`` and ``norm``, often under ``module.`` / ``backbone.``
prefixes and inside an ``encoder`` or ``target_encoder`` entry. Only safetensors files are
read (never pickle): convert a released ``.pt`` elsewhere first.

The mapping onto :class:`~jepa_wm.models.encoder.ViTEncoder`:

* ``patch_embed.proj.weight`` [D, 3, t, p, p] -> ``patch.weight`` [D, 3, p, p], summed over the
  tubelet axis: a still frame repeated over the tubelet gives the same response;
* ``pos_embed`` [1, T' g^2, D] -> ``pos`` [1, g^2, D], the first time slice (V-JEPA's 3-D
  table is time-major);
* ``mlp.fc1`` / ``mlp.fc2`` -> ``mlp.0`` / ``mlp.2``; the other names are the same.

Every tensor of ours that the file does not fill is reported as missing, every tensor of the
file that we do not use as unexpected, and every shape disagreement as mismatched. Known
differences that loading cannot remove: our blocks use the tanh GELU and LayerNorm eps 1e-5
(V-JEPA 2: erf GELU, eps 1e-6), a few 1e-4 apart, and our ViT has no RoPE, so a RoPE model's
features are not reproduced until the encoder is fine-tuned.

Usage::

    report = load_vjepa2_encoder(model, "vitl.safetensors", prefix="target_encoder.")
    print(report.summary())
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import torch

from jepa_wm.errors import CheckpointError
from jepa_wm.models.encoder import ViTEncoder
from jepa_wm.models.world_model import JepaWorldModel

_WRAPPERS = ("module.", "backbone.")
_RENAMES = ((re.compile(r"^blocks\.(\d+)\.mlp\.fc1\."), r"blocks.\1.mlp.0."),
            (re.compile(r"^blocks\.(\d+)\.mlp\.fc2\."), r"blocks.\1.mlp.2."),
            (re.compile(r"^patch_embed\.proj\."), "patch."),
            (re.compile(r"^pos_embed$"), "pos"))  # fmt: skip


@dataclass
class ConversionReport:
    """What a conversion did, by our tensor names (``unexpected`` by the file's names)."""

    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)  # "name: file [..] vs ours [..]"
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when every tensor of ours was filled and every tensor of the file used."""
        return not (self.missing or self.unexpected or self.mismatched)

    def summary(self, sep: str = "\n") -> str:
        """One entry per category (joined by ``sep``), naming every key that was not loaded."""
        lines = [f"loaded {len(self.loaded)} tensors"]
        for name in ("missing", "unexpected", "mismatched", "notes"):
            items = getattr(self, name)
            if items:
                lines.append(f"{name} ({len(items)}): {', '.join(items)}")
        return sep.join(lines)


def _our_name(key: str) -> str:
    for pattern, repl in _RENAMES:
        key = pattern.sub(repl, key)
    return key


def _strip(key: str, prefix: str) -> str | None:
    """The key without ``prefix`` and the DDP/backbone wrappers; None if outside ``prefix``."""
    if prefix:
        if not key.startswith(prefix):
            return None
        key = key[len(prefix) :]
    changed = True
    while changed:
        changed = False
        for w in _WRAPPERS:
            if key.startswith(w):
                key, changed = key[len(w) :], True
    return key


def _adapt(name: str, value: torch.Tensor, ours: torch.Tensor, report: ConversionReport):
    """The file's tensor reshaped to our layout where the mapping says how, else unchanged."""
    if name == "patch.weight" and value.dim() == 5 and ours.dim() == 4:
        report.notes.append(f"patch.weight: summed the tubelet axis of {list(value.shape)}")
        return value.sum(2)
    if (
        name == "pos"
        and value.dim() == 3
        and value.shape[1] > ours.shape[1]
        and value.shape[1] % ours.shape[1] == 0
        and value.shape[2] == ours.shape[2]
    ):
        report.notes.append(f"pos: first time slice of {list(value.shape)}")
        return value[:, : ours.shape[1]]
    return value


def convert_vjepa2_state_dict(
    tensors: dict[str, torch.Tensor], encoder: ViTEncoder, prefix: str = ""
) -> tuple[dict[str, torch.Tensor], ConversionReport]:
    """Map a V-JEPA 2 layout state dict onto ``encoder``'s names and shapes.

    ``prefix`` selects one entry of a multi-model file (e.g. ``"target_encoder."``); keys
    outside it are ignored, not reported. Returns (the tensors to load, in our names; report).
    """
    ours = encoder.state_dict()
    report = ConversionReport()
    out: dict[str, torch.Tensor] = {}
    seen: set[str] = set()
    for key, value in tensors.items():
        stripped = _strip(key, prefix)
        if stripped is None:
            continue
        name = _our_name(stripped)
        if name not in ours:
            report.unexpected.append(key)
            continue
        seen.add(name)
        value = _adapt(name, value, ours[name], report)
        if tuple(value.shape) != tuple(ours[name].shape):
            report.mismatched.append(
                f"{name}: file {list(value.shape)} vs ours {list(ours[name].shape)}"
            )
            continue
        out[name] = value.to(ours[name].dtype)
        report.loaded.append(name)
    report.missing = [k for k in ours if k not in out]
    if "pos" not in seen:
        report.notes.append("no pos_embed in the file (a RoPE model?): pos keeps its init")
    return out, report


def load_vjepa2_encoder(
    model: JepaWorldModel, path: str | Path, prefix: str = "", strict: bool = False
) -> ConversionReport:
    """Load a V-JEPA 2 layout safetensors file into ``model.encoder`` (a ViT preset).

    Non-strict: the tensors that fit are loaded and the report names the rest. Strict: any
    missing, unexpected or mismatched tensor raises CheckpointError naming them, and nothing
    is loaded. Raises CheckpointError for a conv encoder, a non-safetensors or unreadable file.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not isinstance(model.encoder, ViTEncoder):
        raise CheckpointError("V-JEPA 2 weights need a ViT encoder (encoder.kind: vit)")
    p = Path(path)
    if p.suffix != ".safetensors":
        raise CheckpointError(f"{p}: only .safetensors files are read (no pickle)")
    if not p.is_file():
        raise CheckpointError(f"{p}: file not found")
    try:
        tensors = load_file(str(p))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{p}: not a readable safetensors file: {exc}") from None
    out, report = convert_vjepa2_state_dict(tensors, model.encoder, prefix)
    if not (report.loaded or report.mismatched):
        raise CheckpointError(f"{p}: no tensor matched prefix {prefix!r}; {report.summary('; ')}")
    if strict and not report.complete:
        raise CheckpointError(f"{p}: incomplete conversion; {report.summary('; ')}")
    model.encoder.load_state_dict(out, strict=False)
    return report
