"""Losses: the rollout loss feeds back the model's OWN predictions; VICReg; RankMe."""

from __future__ import annotations

import pytest
import torch

from jepa_wm.train.losses import prediction_losses, rankme, vicreg_terms


class _Shift(torch.nn.Module):
    """A fake predictor: next latent = latent + 1, next state = state + 1."""

    def forward(self, z, s, a):
        return z + 1, s + 1


def test_rollout_uses_own_predictions() -> None:
    z = torch.zeros(2, 4, 3, 5)
    s = torch.zeros(2, 4, 2)
    out = prediction_losses(_Shift(), z, z, s, torch.zeros(2, 3, 1), rollout_steps=3)
    assert torch.isclose(out["tf"], torch.tensor(1.0))
    # Step 2 predicts from the step-1 prediction (1) -> 2; step 3 -> 3; mean of 2 and 3.
    assert torch.isclose(out["rollout"], torch.tensor(2.5))
    assert torch.isclose(out["state_rollout"], torch.tensor(2.5))


def test_teacher_forcing_only() -> None:
    z = torch.zeros(1, 3, 2, 4)
    out = prediction_losses(
        _Shift(), z, z, torch.zeros(1, 3, 1), torch.zeros(1, 2, 1), rollout_steps=1
    )
    assert float(out["rollout"]) == 0.0 and float(out["tf"]) == 1.0


def test_vicreg_and_rankme_detect_collapse() -> None:
    torch.manual_seed(0)
    spread = torch.randn(512, 16) * 2
    collapsed = torch.ones(512, 1) * torch.randn(1, 16)
    v_ok, _ = vicreg_terms(spread)
    v_bad, _ = vicreg_terms(collapsed + 1e-3 * torch.randn(512, 16))
    assert v_ok < 0.05 < v_bad
    assert rankme(spread) > 14 and rankme(collapsed) < 1.5


def test_vicreg_terms_match_the_paper_definitions_by_hand() -> None:
    torch.manual_seed(1)
    z = (torch.randn(40, 5) * torch.tensor([0.2, 0.5, 1.0, 2.0, 3.0])).double()
    z[:, 1] += 0.7 * z[:, 0]  # some covariance
    var, cov = vicreg_terms(z)
    n, d = z.shape
    mean = [sum(float(z[i, j]) for i in range(n)) / n for j in range(d)]
    c = [
        [sum((float(z[k, i]) - mean[i]) * (float(z[k, j]) - mean[j]) for k in range(n)) / (n - 1)
         for j in range(d)]
        for i in range(d)
    ]  # fmt: skip
    v_ref = sum(max(0.0, 1 - (c[j][j] + 1e-4) ** 0.5) for j in range(d)) / d
    c_ref = sum(c[i][j] ** 2 for i in range(d) for j in range(d) if i != j) / d
    assert float(var) == pytest.approx(v_ref, rel=1e-5)
    assert float(cov) == pytest.approx(c_ref, rel=1e-5)


@pytest.mark.parametrize(
    "shape", [(6, 3, 10, 10, 3), (6, 3, 10, 10)], ids=["clips_uint8_BTHWC", "images_NCHW"]
)
def test_random_shift_moves_all_of_an_item_alike(shape: tuple[int, ...]) -> None:
    from jepa_wm.train.objectives import random_shift

    torch.manual_seed(0)
    x = torch.randint(0, 256, shape, dtype=torch.uint8)
    if len(shape) == 4:
        x = x.float()
    out = random_shift(x, 2)
    assert out.shape == x.shape and out.dtype == x.dtype
    for b in range(shape[0]):
        matches = []
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                rows = (torch.arange(10) + dy).clamp(0, 9)
                cols = (torch.arange(10) + dx).clamp(0, 9)
                if all(torch.equal(out[b, t], x[b, t][rows][:, cols]) for t in range(3)):
                    matches.append((dy, dx))
        assert len(matches) == 1, f"item {b}: its frames/channels were not shifted alike"
