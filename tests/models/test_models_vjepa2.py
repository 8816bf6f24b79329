"""V-JEPA 2 layout import: a randomly initialised reference ViT saved in that layout loads into
our ViT preset with every key accounted for, and computes the same patch tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn

from jepa_wm.errors import CheckpointError
from jepa_wm.models.config import model_config
from jepa_wm.models.vjepa2 import load_vjepa2_encoder
from jepa_wm.models.world_model import JepaWorldModel

DIM, DEPTH, HEADS, PATCH, SIZE, TUBELET = 32, 2, 4, 8, 32, 2


class _RefBlock(nn.Module):
    """A pre-norm ViT block (Dosovitskiy et al. 2021, Eq. 2-3), named as V-JEPA 2 names it."""

    def __init__(self) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(DIM, eps=1e-6)
        self.attn = nn.Module()
        self.attn.qkv = nn.Linear(DIM, 3 * DIM)
        self.attn.proj = nn.Linear(DIM, DIM)
        self.norm2 = nn.LayerNorm(DIM, eps=1e-6)
        self.mlp = nn.Module()
        self.mlp.fc1 = nn.Linear(DIM, 4 * DIM)
        self.mlp.fc2 = nn.Linear(4 * DIM, DIM)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        h = self.attn.qkv(self.norm1(x)).reshape(b, n, 3, HEADS, DIM // HEADS)
        q, k, v = h.permute(2, 0, 3, 1, 4)
        w = torch.softmax(q @ k.transpose(-1, -2) / (DIM // HEADS) ** 0.5, dim=-1)
        x = x + self.attn.proj((w @ v).transpose(1, 2).reshape(b, n, DIM))
        return x + self.mlp.fc2(F.gelu(self.mlp.fc1(self.norm2(x))))


class _RefViT(nn.Module):
    """A video ViT in V-JEPA 2's layout: tubelet Conv3d, time-major 3-D position table."""

    def __init__(self, frames: int = 2) -> None:
        super().__init__()
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv3d(
            3, DIM, (TUBELET, PATCH, PATCH), stride=(TUBELET, PATCH, PATCH)
        )
        cells = (SIZE // PATCH) ** 2 * (frames // TUBELET)
        self.pos_embed = nn.Parameter(torch.randn(1, cells, DIM) * 0.1)
        self.blocks = nn.ModuleList(_RefBlock() for _ in range(DEPTH))
        self.norm = nn.LayerNorm(DIM, eps=1e-6)
        for p in self.parameters():  # non-trivial norms and biases too
            nn.init.normal_(p, std=0.1) if p.dim() == 1 else None

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        """video [N, 3, T, S, S] -> tokens [N, T/2 * g^2, D]."""
        x = self.patch_embed.proj(video).flatten(2).transpose(1, 2) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)


def _ours() -> JepaWorldModel:
    enc = {"kind": "vit", "image_size": SIZE, "dim": DIM, "patch_size": PATCH, "depth": DEPTH}
    return JepaWorldModel(model_config("tiny", {"encoder": {**enc, "heads": HEADS}}))


def _save(ref: nn.Module, path: Path, prefix: str = "module.backbone.", drop=(), extra=None):
    sd = {prefix + k: v.detach().contiguous() for k, v in ref.state_dict().items()}
    sd = {k: v for k, v in sd.items() if not any(k.endswith(d) for d in drop)}
    save_file({**sd, **(extra or {})}, str(path))
    return path


def test_a_vjepa2_layout_vit_loads_completely_and_computes_the_same_tokens(
    tmp_path: Path,
) -> None:
    torch.manual_seed(0)
    ref = _RefViT().eval()
    model = _ours().eval()
    path = _save(ref, tmp_path / "vitl.safetensors")
    report = load_vjepa2_encoder(model, path, strict=True)
    assert report.complete and len(report.loaded) == len(model.encoder.state_dict())
    img = torch.randn(3, 3, SIZE, SIZE)
    with torch.no_grad():
        theirs = ref(img[:, :, None].expand(-1, -1, TUBELET, -1, -1))  # a still frame
        ours = model.encoder.patch_tokens(img)
    # Only the GELU form (tanh vs erf) and the LayerNorm eps differ.
    assert torch.allclose(ours, theirs, atol=2e-3), (ours - theirs).abs().max()
    assert (ours - _ours().encoder.patch_tokens(img)).abs().max() > 0.1  # not a no-op


def test_missing_unexpected_and_mismatched_keys_are_named(tmp_path: Path) -> None:
    ref = _RefViT()
    extra = {"module.backbone.mask_token": torch.zeros(1, 1, DIM)}
    path = _save(ref, tmp_path / "rope.safetensors", drop=("pos_embed",), extra=extra)
    model = _ours()
    before = model.encoder.pos.detach().clone()
    report = load_vjepa2_encoder(model, path)  # non-strict: loads what fits
    assert report.missing == ["pos"] and report.unexpected == ["module.backbone.mask_token"]
    assert torch.equal(model.encoder.pos, before)
    assert torch.equal(model.encoder.norm.weight, ref.norm.weight)
    with pytest.raises(CheckpointError, match=r"missing \(1\): pos") as err:
        load_vjepa2_encoder(_ours(), path, strict=True)
    assert "mask_token" in str(err.value)
    # A wider model: every block tensor is named as mismatched, with both shapes.
    wide = _save(_RefViT(), tmp_path / "wide.safetensors")
    narrow = JepaWorldModel(model_config("tiny", {"encoder": {
        "kind": "vit", "image_size": SIZE, "dim": 16, "patch_size": PATCH, "depth": DEPTH,
        "heads": 2}}))  # fmt: skip
    rep = load_vjepa2_encoder(narrow, wide)
    assert "norm.weight: file [32] vs ours [16]" in rep.mismatched
    with pytest.raises(CheckpointError, match="safetensors"):
        load_vjepa2_encoder(_ours(), tmp_path / "vitl.pt")
    with pytest.raises(CheckpointError, match="no tensor matched prefix"):
        load_vjepa2_encoder(_ours(), path, prefix="target_encoder.")
    with pytest.raises(CheckpointError, match="ViT"):
        load_vjepa2_encoder(JepaWorldModel(model_config("tiny")), path)


def test_import_encoder_cli_writes_a_checkpoint_training_can_start_from(
    tmp_path: Path, capsys
) -> None:
    import json

    from jepa_wm.cli.main import main
    from jepa_wm.models.checkpoint import load_encoder_weights, load_world_model

    ref = _RefViT()
    src = _save(ref, tmp_path / "ckpt.safetensors", prefix="target_encoder.module.backbone.")
    cfg = tmp_path / "vit.yaml"
    cfg.write_text(
        f"model: {{encoder: {{kind: vit, image_size: {SIZE}, dim: {DIM}, patch_size: {PATCH}, "
        f"depth: {DEPTH}, heads: {HEADS}}}}}\n"
    )
    out = tmp_path / "init"
    argv = ["import-encoder", "--vjepa2", str(src), "--config", str(cfg), "--out", str(out)]
    assert main([*argv, "--prefix", "target_encoder.", "--strict"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["complete"] and not printed["missing"] and not printed["unexpected"]
    assert torch.equal(load_world_model(out).encoder.norm.weight, ref.norm.weight)
    model = _ours()  # what `jepa-wm train --encoder-init` does with it
    load_encoder_weights(model, out)
    assert torch.equal(model.encoder.blocks[1].mlp[2].bias, ref.blocks[1].mlp.fc2.bias)
    # Without the prefix nothing matches: one line on stderr, exit 1.
    assert main([*argv[:-1], str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "no tensor matched" in err and err.count("\n") == 1
