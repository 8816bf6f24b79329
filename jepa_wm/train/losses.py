"""Losses: teacher forcing + multi-step rollout (L1 on layer-normed latents), VICReg, RankMe.

The rollout loss feeds the model its OWN previous predictions: at rollout step j the input of
time step t is the (j-1)-step prediction of frame t (V-JEPA 2-AC's reference code fed the
teacher-forced target back in, which reduces the "rollout" to teacher forcing).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from jepa_wm.models.predictor import ACPredictor


def prediction_losses(
    predictor: ACPredictor,
    latents: torch.Tensor,
    targets: torch.Tensor,
    states: torch.Tensor,
    actions: torch.Tensor,
    rollout_steps: int,
) -> dict[str, torch.Tensor]:
    """Teacher-forcing and rollout losses.

    latents [B,T,P,D] (layer-normed, predictor inputs), targets [B,T,P,D] (layer-normed,
    no gradient), states [B,T,S] and actions [B,T-1,A] normalised.
    Returns {"tf": L1 1-step, "rollout": mean L1 of steps 2..k (0 if k = 1),
    "state_tf", "state_rollout"} (scalars). Step j's loss covers every t >= j-1.
    """
    x, s = latents[:, :-1], states[:, :-1]
    losses: dict[str, torch.Tensor] = {}
    roll, roll_s = [], []
    for j in range(1, rollout_steps + 1):
        pz, ps = predictor(x, s, actions)  # predictions of frames 1..T-1
        lz = F.l1_loss(pz[:, j - 1 :], targets[:, j:])
        ls = F.l1_loss(ps[:, j - 1 :], states[:, j:])
        if j == 1:
            losses["tf"], losses["state_tf"] = lz, ls
        else:
            roll.append(lz)
            roll_s.append(ls)
        # Next step's inputs: the true first frame, then this step's predictions.
        x = torch.cat([latents[:, :1], pz[:, :-1]], dim=1)
        s = torch.cat([states[:, :1], ps[:, :-1]], dim=1)
    zero = latents.new_zeros(())
    losses["rollout"] = torch.stack(roll).mean() if roll else zero
    losses["state_rollout"] = torch.stack(roll_s).mean() if roll_s else zero
    return losses


def vicreg_terms(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """VICReg's variance and covariance terms (Bardes, Ponce & LeCun, ICLR 2022) of z [N, D]:

    v(Z) = 1/D sum_j max(0, 1 - sqrt(Var(z^j) + 1e-4))   (hinge on each dimension's std),
    c(Z) = 1/D sum_{i != j} C(Z)_ij^2,  C(Z) = 1/(N-1) sum_n (z_n - mean)(z_n - mean)^T.
    """
    z = z.float()
    z = z - z.mean(0)
    std = torch.sqrt(z.var(0) + 1e-4)
    var = F.relu(1.0 - std).mean()
    n, d = z.shape
    cov = (z.T @ z) / max(n - 1, 1)
    off = cov - torch.diag(torch.diagonal(cov))
    return var, off.pow(2).sum() / d


@torch.no_grad()
def rankme(z: torch.Tensor, eps: float = 1e-7) -> float:
    """RankMe effective rank (Garrido et al. 2023): exp(entropy of normalised singular values).

    z [N, D] -> a float in [1, min(N, D)].
    """
    s = torch.linalg.svdvals(z.float())
    p = s / (s.sum() + eps) + eps
    return float(torch.exp(-(p * p.log()).sum()))
