"""The CUDA-graph rollout's static-buffer binding and eager fallbacks, checked on a CPU.

``capture="emulate"`` binds the same static buffers as a CUDA capture and recomputes from them
on replay, so a stale or mis-bound buffer gives a wrong answer here too. The real capture runs
in ``jepa_wm/bench/gpu_table.py`` on a GPU host.
"""

from __future__ import annotations

import pytest
import torch

from jepa_wm.models.config import model_config
from jepa_wm.models.fast_rollout import BF16_MIN_FLOPS, GraphedRollout, rollout_flops
from jepa_wm.models.world_model import JepaWorldModel


def _model() -> JepaWorldModel:
    torch.manual_seed(0)
    m = JepaWorldModel(model_config("tiny", {"predictor": {"context_len": 3}})).eval()
    for p in m.predictor.parameters():
        torch.nn.init.normal_(p, std=0.1)
    return m


def _ctx(m: JepaWorldModel, frames: int, seed: int):  # -> a world_model.Context
    g = torch.Generator().manual_seed(seed)
    lat = torch.nn.functional.layer_norm(
        torch.randn(1, frames, m.num_tokens, m.latent_dim, generator=g), (m.latent_dim,)
    )
    st = torch.randn(1, frames, m.state_dim, generator=g)
    past = 0.1 * torch.randn(1, frames - 1, m.action_dim, generator=g)
    return m.make_context(lat, st, past)


@torch.no_grad()
def test_replays_read_the_current_inputs_not_the_captured_ones() -> None:
    m = _model()
    fast = GraphedRollout(m, "cpu", capture="emulate")
    for seed in range(3):  # same shapes, new context and actions each call
        ctx = _ctx(m, 3, seed)
        actions = 0.1 * torch.randn(
            5, 2, m.action_dim, generator=torch.Generator().manual_seed(seed)
        )
        got, ref = fast(ctx, actions), m.rollout(ctx, actions)
        for g, r in zip(got, ref, strict=True):
            torch.testing.assert_close(g, r)
    assert fast.stats() == {"graphs": 1, "replays": 3, "eager": {}}


@torch.no_grad()
def test_outputs_are_not_overwritten_by_the_next_replay() -> None:
    m = _model()
    fast = GraphedRollout(m, "cpu", capture="emulate")
    ctx = _ctx(m, 3, 0)
    first = fast(ctx, torch.zeros(4, 2, m.action_dim))[0]
    keep = first.clone()
    fast(ctx, torch.full((4, 2, m.action_dim), 0.1))
    torch.testing.assert_close(first, keep)


@torch.no_grad()
def test_a_new_shape_gets_its_own_graph_until_the_cap(caplog: pytest.LogCaptureFixture) -> None:
    m = _model()
    fast = GraphedRollout(m, "cpu", capture="emulate", max_graphs=2)
    for frames in (1, 2, 3, 3):  # early episode steps have a shorter history
        ctx = _ctx(m, frames, frames)
        torch.testing.assert_close(
            fast(ctx, torch.zeros(3, 1, 7)), m.rollout(ctx, torch.zeros(3, 1, 7))
        )
    stats = fast.stats()
    assert stats["graphs"] == 2 and stats["replays"] == 2
    assert list(stats["eager"].values()) == [2]
    assert "more than 2 rollout shapes" in caplog.text


def test_eager_with_a_logged_reason(caplog: pytest.LogCaptureFixture) -> None:
    m = _model()
    ctx = _ctx(m, 1, 0)
    on_cpu = GraphedRollout(m, "cpu")  # a real capture needs CUDA
    with torch.no_grad():
        on_cpu(ctx, torch.zeros(2, 1, 7))
        on_cpu(ctx, torch.zeros(2, 1, 7))
    assert on_cpu.stats()["eager"] == {"CUDA graphs need a CUDA device, not cpu": 2}
    assert caplog.text.count("rollout runs eager") == 1  # logged once per reason
    fast = GraphedRollout(m, "cpu", capture="emulate")
    with torch.enable_grad():  # the gradient planner
        a = torch.zeros(2, 1, 7, requires_grad=True)
        lat, _ = fast(ctx, a)
        lat.sum().backward()
    assert a.grad is not None and fast.stats()["graphs"] == 0
    assert not fast.uses_bf16(10**6)  # bf16 only on CUDA
    on_gpu = GraphedRollout(m, "cuda:0", capture="emulate", bf16_min_flops=1e9)
    n = int(1e9 / rollout_flops(m, 1, 1)) + 1
    assert on_gpu.uses_bf16(n) and not on_gpu.uses_bf16(n - 2) and on_gpu.uses_bf16(n // 2, 2)


def test_bf16_threshold_scales_with_the_model() -> None:
    with torch.device("meta"):
        big = JepaWorldModel(model_config("vjepa2-ac"))
    tiny = _model()
    # tiny pays from ~10k samples (H200, bench rollout); V-JEPA 2-AC's 400 samples are far above
    assert 5_000 < BF16_MIN_FLOPS / rollout_flops(tiny, 1, 1) < 20_000
    assert rollout_flops(big, 400, 1) > 100 * BF16_MIN_FLOPS
