"""World model: shapes, block-causal mask, KV-cached rollout == uncached forward, configs."""

from __future__ import annotations

import pytest
import torch

from jepa_wm.errors import ConfigError
from jepa_wm.models.config import model_config
from jepa_wm.models.interfaces import WorldModel
from jepa_wm.models.world_model import JepaWorldModel

VARIANTS = {
    "markov": {},
    "ctx3-token-rope": {"predictor": {"context_len": 3}},
    "ctx3-adaln-learned": {
        "predictor": {"context_len": 3, "conditioning": "adaln", "time_pos": "learned"}
    },
}


def _model(over: dict, seed: int = 0) -> JepaWorldModel:
    torch.manual_seed(seed)
    m = JepaWorldModel(model_config("tiny", {"action_dim": 4, "state_dim": 3, **over})).eval()
    # Residual heads and AdaLN start at zero; randomise them so the tests see real mixing.
    for p in m.predictor.parameters():
        torch.nn.init.normal_(p, std=0.2)
    return m


def _frames(b: int, t: int, size: int = 64) -> torch.Tensor:
    return torch.randint(0, 256, (b, t, size, size, 3), dtype=torch.uint8)


@pytest.mark.parametrize("size", [64, 96])
def test_encode_shapes_and_layer_norm(size: int) -> None:
    m = _model({})
    z = m.encode(_frames(2, 3, size))
    assert z.shape == (2, 3, m.num_tokens, m.latent_dim) == (2, 3, 16, 32)
    assert torch.allclose(z.mean(-1), torch.zeros(2, 3, 16), atol=1e-5)
    assert isinstance(m, WorldModel)


def test_antialiased_encoder_is_smoother_under_a_one_pixel_shift() -> None:
    """Average-pooled downsampling changes the latent less than stride-2 convs when the image
    moves by one pixel (same shapes, same initialisation statistics)."""
    img = torch.zeros(1, 1, 64, 64, 3, dtype=torch.uint8)
    img[..., 20:36, 24:30, :] = 255  # a bright bar, like the arm on the table
    moved = torch.roll(img, shifts=1, dims=3)
    change = {}
    for aa in (False, True):
        deltas = []
        for seed in range(3):
            torch.manual_seed(seed)
            m = JepaWorldModel(model_config("tiny", {"encoder": {"antialias": aa}})).eval()
            with torch.no_grad():
                z0, z1 = m.encode(img), m.encode(moved)
            assert z0.shape == (1, 1, 16, 32)
            deltas.append(float((z1 - z0).abs().mean()))
        change[aa] = sum(deltas) / len(deltas)
    assert change[True] < change[False], change


def test_encoder_96px_preset() -> None:
    m = JepaWorldModel(model_config("tiny", {"encoder": {"image_size": 96}}))
    assert m.encode(_frames(1, 1, 96)).shape == (1, 1, 16, 32)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_kv_cached_rollout_equals_uncached(name: str) -> None:
    m = _model(VARIANTS[name])
    with torch.no_grad():
        z = m.encode(_frames(1, 5, 64))  # a longer history than the window
        s, past = torch.randn(1, 5, 3), torch.randn(1, 4, 4)
        actions = torch.randn(5, 4, 4)
        lat, st = m.rollout(m.make_context(z, s, past), actions)
        lat_n, st_n = m.rollout_naive(z, s, past, actions)
    assert lat.shape == (5, 4, 16, 32) and st.shape == (5, 4, 3)
    assert torch.allclose(lat, lat_n, atol=1e-5) and torch.allclose(st, st_n, atol=1e-5)
    assert not torch.allclose(lat[:, 0], lat[:, 1])  # the rollout really moves


def test_rollout_depends_on_actions_and_is_batched_independently() -> None:
    m = _model({})
    with torch.no_grad():
        z = m.encode(_frames(1, 1, 64))
        ctx = m.make_context(z, torch.zeros(1, 1, 3), torch.zeros(1, 0, 4))
        a = torch.randn(3, 2, 4)
        lat, _ = m.rollout(ctx, a)
        lat0, _ = m.rollout(ctx, a[:1])
    assert torch.allclose(lat[:1], lat0, atol=1e-5)
    assert not torch.allclose(lat[0], lat[1])


def test_block_causal_mask_future_does_not_leak() -> None:
    m = _model({"predictor": {"context_len": 4}})
    z = torch.nn.functional.layer_norm(torch.randn(2, 5, 16, 32), (32,))
    s, a = torch.randn(2, 5, 3), torch.randn(2, 5, 4)
    with torch.no_grad():
        p1, s1 = m.predictor(z, s, a)
        z2, a2 = z.clone(), a.clone()
        z2[:, 3:] = torch.randn_like(z2[:, 3:])
        a2[:, 3:] = torch.randn_like(a2[:, 3:])
        p2, s2 = m.predictor(z2, s, a2)
    assert torch.allclose(p1[:, :3], p2[:, :3], atol=1e-6) and torch.allclose(s1[:, :3], s2[:, :3])
    assert not torch.allclose(p1[:, 3:], p2[:, 3:])


def test_context_window_limits_history() -> None:
    # A per-layer sliding window of C=2 blocks: after 3 layers step t sees steps t-3..t.
    m = _model({"predictor": {"context_len": 2}})
    z = torch.nn.functional.layer_norm(torch.randn(1, 5, 16, 32), (32,))
    s, a = torch.randn(1, 5, 3), torch.randn(1, 5, 4)
    with torch.no_grad():
        p1, _ = m.predictor(z, s, a)
        z2 = z.clone()
        z2[:, 0] = torch.randn_like(z2[:, 0])
        p2, _ = m.predictor(z2, s, a)
    assert torch.allclose(p1[:, 4:], p2[:, 4:], atol=1e-6)
    assert not torch.allclose(p1[:, 3], p2[:, 3])


def test_bad_context_shapes_raise() -> None:
    m = _model({})
    z = torch.zeros(1, 2, 16, 32)
    with pytest.raises(ValueError, match="past_actions"):
        m.make_context(z, torch.zeros(1, 2, 3), torch.zeros(1, 0, 4))


def test_config_unknown_keys_are_named() -> None:
    with pytest.raises(ConfigError, match="'widht'.*valid keys"):
        model_config("tiny", {"predictor": {"widht": 3}})
    with pytest.raises(ConfigError, match="unknown preset 'huge'"):
        model_config("huge")
    with pytest.raises(ConfigError, match="conditioning"):
        model_config("tiny", {"predictor": {"conditioning": "film"}})


def test_vit_encoder_preset_builds() -> None:
    cfg = model_config(
        "tiny", {"encoder": {"kind": "vit", "image_size": 64, "dim": 32, "depth": 1, "heads": 2}}
    )
    m = JepaWorldModel(cfg)
    assert m.encode(_frames(1, 2, 64)).shape == (1, 2, 16, 32)
