"""Masked latent prediction: multi-block masks, no target leak into the context, EMA target."""

from __future__ import annotations

import pytest
import torch

from jepa_wm.models.config import model_config
from jepa_wm.models.encoder import build_encoder
from jepa_wm.models.world_model import JepaWorldModel
from jepa_wm.train.config import load_train_config
from jepa_wm.train.ema import momentum_at
from jepa_wm.train.masked import MaskedObjective
from jepa_wm.train.masking import block_mask, multiblock_masks


@pytest.mark.parametrize(("grid", "ratio"), [(8, 0.6), (8, 0.25), (4, 0.5), (14, 0.9)])
def test_masks_cover_the_ratio_and_split_the_grid(grid: int, ratio: float) -> None:
    g = torch.Generator().manual_seed(0)
    ctx, tgt = multiblock_masks(16, grid, ratio, 0.15, g)
    cells = grid * grid
    assert tgt.shape == (16, round(ratio * cells)) and ctx.shape == (16, cells - tgt.shape[1])
    for c, t in zip(ctx, tgt, strict=True):
        assert not set(c.tolist()) & set(t.tolist())  # no target cell in the context
        assert sorted(c.tolist() + t.tolist()) == list(range(cells))
    assert len({tuple(t.tolist()) for t in tgt}) > 1  # masks differ across the batch


def test_a_mask_is_made_of_blocks() -> None:
    # Few large blocks: the target's cells mostly have a target neighbour (a random scatter of
    # the same size would have far fewer).
    g = torch.Generator().manual_seed(3)
    m = block_mask(8, 0.3, 0.15, g).view(8, 8)
    nb = torch.zeros_like(m)
    nb[1:] |= m[:-1]
    nb[:-1] |= m[1:]
    nb[:, 1:] |= m[:, :-1]
    nb[:, :-1] |= m[:, 1:]
    assert (m & nb).sum() >= 0.9 * m.sum()


@pytest.mark.parametrize("kind", ["conv", "vit"])
def test_context_tokens_never_see_target_patches(kind: str) -> None:
    over = {"encoder": {"kind": kind, "image_size": 32, "dim": 16, "pool_grid": 2}}
    if kind == "conv":
        over["encoder"]["channels"] = [8, 8]  # grid 8 of 4 px cells
    else:
        over["encoder"].update(patch_size=8, depth=2, heads=2)  # grid 4 of 8 px patches
    cfg = model_config("tiny", over).encoder
    enc = build_encoder(cfg).eval()
    grid, px = cfg.grid_size, cfg.image_size // cfg.grid_size
    ctx, tgt = multiblock_masks(2, grid, 0.5, 0.2, torch.Generator().manual_seed(0))
    x = torch.randn(2, 3, 32, 32)
    y = x.clone()
    for b in range(2):
        for cell in tgt[b].tolist():
            r, c = divmod(cell, grid)
            y[b, :, r * px : (r + 1) * px, c * px : (c + 1) * px] = torch.randn(3, px, px)
    with torch.no_grad():
        assert torch.equal(enc.patch_tokens(x, ctx), enc.patch_tokens(y, ctx))
        # The same change is visible once those patches are in the context: the test can fail.
        assert not torch.equal(enc.patch_tokens(x, tgt), enc.patch_tokens(y, tgt))
        # Unmasked, the grid tokens pool to exactly the encoder's output.
        from jepa_wm.models.encoder import pool_tokens

        assert torch.allclose(pool_tokens(enc, enc.patch_tokens(x)), enc(x), atol=1e-6)


def _objective(**over) -> MaskedObjective:
    cfg = load_train_config(
        None,
        {
            **over,
            "mode": "two_stage",
            "objective": "masked",
            "clip_len": 3,
            "ema_momentum": 0.9,
            "ema_momentum_end": 1.0,
            "mask_pred_dim": 16,
            "mask_pred_heads": 2,
        },
    )
    model = JepaWorldModel(
        model_config("tiny", {"action_dim": 2, "state_dim": 2, "encoder": {"image_size": 32}})
    )
    return MaskedObjective(model, cfg)


def test_the_ema_target_gets_no_gradient_and_follows_the_schedule() -> None:
    torch.manual_seed(0)
    obj = _objective()
    rgb = torch.randint(0, 255, (2, 3, 32, 32, 3), dtype=torch.uint8)
    out = obj(rgb, torch.zeros(2, 3, 2), torch.zeros(2, 2, 2))
    assert out["latents"].shape == (2, 3, 16, 32) and out["loss"] > 0
    out["loss"].backward()
    assert all(p.grad is None and not p.requires_grad for p in obj.target_encoder.parameters())
    assert all(p.grad is not None for p in obj.mask_predictor.parameters())
    assert any(p.grad.abs().sum() > 0 for p in obj.model.encoder.parameters())
    with torch.no_grad():  # a fake optimiser step on the online encoder
        for p in obj.model.encoder.parameters():
            p.add_(torch.randn_like(p))
    before = [p.clone() for p in obj.target_encoder.parameters()]
    obj.update_target(0.5)
    m = 0.9 + 0.5 * (1.0 - 0.9)  # linear schedule, computed by hand
    for pt, old, p in zip(
        obj.target_encoder.parameters(), before, obj.model.encoder.parameters(), strict=True
    ):
        assert torch.allclose(pt, m * old + (1 - m) * p)
    assert momentum_at(0.9, 1.0, 1.0) == 1.0 and momentum_at(0.9, None, 0.7) == 0.9
    obj.finish_stage()  # the model keeps the target encoder
    for pt, p in zip(obj.target_encoder.parameters(), obj.model.encoder.parameters(), strict=True):
        assert torch.equal(pt, p)


def test_the_dense_loss_adds_the_context_patches() -> None:
    torch.manual_seed(0)
    rgb = torch.randint(0, 255, (2, 3, 32, 32, 3), dtype=torch.uint8)
    obj = _objective(mask_context_weight=0.5)
    out = obj(rgb, torch.zeros(2, 3, 2), torch.zeros(2, 2, 2))
    assert out["dense"] > 0
    assert torch.allclose(out["loss"], out["masked"] + 0.5 * out["dense"])
    assert "dense" not in _objective()(rgb, torch.zeros(2, 3, 2), torch.zeros(2, 2, 2))


def test_the_masked_objective_drops_target_tokens_of_a_vit() -> None:
    torch.manual_seed(0)
    cfg = load_train_config(
        None,
        {
            "mode": "two_stage",
            "objective": "masked",
            "clip_len": 2,
            "rollout_steps": 1,
            "mask_ratio": 0.5,
        },
    )
    enc = {"kind": "vit", "image_size": 32, "dim": 16, "patch_size": 8, "depth": 1, "heads": 2}
    model = JepaWorldModel(model_config("tiny", {"encoder": enc}))
    obj = MaskedObjective(model, cfg)
    seen = []
    obj.model.encoder.blocks[0].register_forward_hook(lambda m, i, o: seen.append(i[0].shape))
    rgb = torch.randint(0, 255, (3, 2, 32, 32, 3), dtype=torch.uint8)
    out = obj(rgb, torch.zeros(3, 2, 7), torch.zeros(3, 1, 7))
    out["loss"].backward()
    assert seen == [(6, 8, 16)]  # 3 clips x 2 frames, 8 of the 16 patches kept
    assert out["latents"].shape == (3, 2, 16, 16)
    assert model.encoder.patch.weight.grad is not None
