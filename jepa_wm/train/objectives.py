"""Training objectives as modules (so DDP can wrap them): joint/predictor and SSL pre-training.

Every objective is an :class:`Objective`: the interface the trainer calls (forward, the EMA
target step, the end-of-stage hook, the heads it trains and the parts a resume restores), with
no-op defaults, so the trainer never probes an objective for features.

* :class:`PredictionObjective` - teacher forcing + rollout L1 on layer-normed latents, a state
  loss, and (when the encoder trains) an anti-collapse term on the latents chosen by
  ``objective``: VICReg variance/covariance (EB-JEPA) or SIGReg (LeJEPA), and an optional
  linear state probe on the latents (``state_probe_weight``).
  The target is the stop-gradient of the online encoder, or an EMA copy of it.
* :class:`SSLObjective` - VICReg between two augmented views of the same frames (stage 1 of
  the two-stage mode, ``objective: vicreg``).
* :class:`SIGRegObjective` - LeJEPA between two augmented views (stage 1, ``objective: sigreg``).
* :class:`~jepa_wm.train.masked.MaskedObjective` - masked latent prediction (stage 1,
  ``objective: masked``).
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod

import torch
import torch.nn.functional as F
from torch import nn

from jepa_wm.models.encoder import preprocess
from jepa_wm.models.world_model import JepaWorldModel
from jepa_wm.train.config import TrainConfig
from jepa_wm.train.data import Inputs
from jepa_wm.train.ema import ema_update, momentum_at
from jepa_wm.train.losses import prediction_losses, vicreg_terms
from jepa_wm.train.sigreg import random_directions, sigreg


def _ln(z: torch.Tensor) -> torch.Tensor:
    return F.layer_norm(z, z.shape[-1:])


class Objective(nn.Module, ABC):
    """A training objective over a world model (``self.model``).

    forward(x, state f32 [B,T,S], action f32 [B,T-1,A]) -> dict of scalar losses with "loss"
    (what is minimised) and "latents" [B,T',P,D] (for RankMe), where x is uint8 frames
    [B,T,H,W,3] (or [B,T,V,H,W,3] with V camera views), or with ``inputs == "latents"`` the
    cached latents f32 [B,T,P,D].
    """

    model: JepaWorldModel
    inputs: Inputs = "frames"

    @abstractmethod
    def forward(
        self, x: torch.Tensor, state: torch.Tensor, action: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """The losses of one batch (see the class docstring)."""

    def update_target(self, frac: float) -> None:
        """After each optimizer step, at fraction ``frac`` of the stage: step the EMA target."""

    def finish_stage(self) -> None:
        """After the stage's last step (e.g. the model keeps the EMA target encoder)."""

    def heads(self) -> dict[str, nn.Module]:
        """Trained modules outside the model, by train-state key prefix (they join the
        optimizer and the train state)."""
        return {}

    def resume_parts(self) -> dict[str, nn.Module]:
        """Modules outside the model that a resume restores, by train-state key prefix: the
        trained heads, and the EMA target encoder (``ema``) where there is one."""
        ema = self.ema_target()
        return {**({"ema": ema} if ema is not None else {}), **self.heads()}

    def ema_target(self) -> nn.Module | None:
        """The EMA target encoder, if the objective keeps one."""
        return None


class PredictionObjective(Objective):
    """forward(rgb uint8 [B,T,H,W,3] or, with ``inputs="latents"``, cached latents f32
    [B,T,P,D]; state [B,T,S], action [B,T-1,A]) -> dict of losses."""

    def __init__(
        self,
        model: JepaWorldModel,
        cfg: TrainConfig,
        train_encoder: bool,
        inputs: Inputs = "frames",
    ) -> None:
        super().__init__()
        if inputs == "latents" and train_encoder:
            raise ValueError("cached latents can only be used with a frozen encoder")
        self.model = model
        self.cfg = cfg
        self.train_encoder = train_encoder
        self.inputs = inputs
        self.target_encoder: nn.Module | None = None
        if train_encoder and cfg.target == "ema":
            self.target_encoder = copy.deepcopy(model.encoder).requires_grad_(False)
        self.state_probe: nn.Linear | None = None
        if train_encoder and cfg.state_probe_weight > 0:
            self.state_probe = nn.Linear(model.num_tokens * model.latent_dim, model.state_dim)
        # Frozen parts must not require grad: DDP would wait for their gradients forever.
        model.encoder.requires_grad_(train_encoder)
        model.predictor.requires_grad_(True)
        self.sigreg = SIGRegTerm(cfg) if train_encoder and cfg.objective == "sigreg" else None

    @torch.no_grad()
    def update_target(self, frac: float = 0.0) -> None:
        """EMA step of the target encoder at fraction ``frac`` of the stage (no-op for the
        stop-gradient target)."""
        if self.target_encoder is None:
            return
        m = momentum_at(self.cfg.ema_momentum, self.cfg.ema_momentum_end, frac)
        ema_update(self.target_encoder, self.model.encoder, m)

    def ema_target(self) -> nn.Module | None:
        """The EMA target encoder (``target: ema`` with a trained encoder), else None."""
        return self.target_encoder

    def heads(self) -> dict[str, nn.Module]:
        """The joint-mode linear state probe (``probe``), when ``state_probe_weight`` > 0."""
        return {"probe": self.state_probe} if self.state_probe is not None else {}

    def encode(self, rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """-> (predictor inputs, targets), both layer-normed [B,T,P,D].

        ``rgb`` is uint8 frames [B,T,H,W,3], or (``inputs="latents"``, frozen encoder only)
        float latents [B,T,P,D] already encoded by the same frozen encoder (see latent_cache).
        """
        if self.inputs == "latents":
            return rgb, rgb
        if self.training and self.train_encoder and self.cfg.clip_shift > 0:
            # one shift per clip, shared by its frames and (multi-view [B,T,V,H,W,3]) views
            rgb = random_shift(rgb.flatten(1, -4), self.cfg.clip_shift).view_as(rgb)
        if not self.train_encoder:
            self.model.encoder.eval()
            with torch.no_grad():
                z = self.model.encode(rgb)
            return z, z
        z = self.model.encode(rgb)
        if self.target_encoder is None:
            return z, z.detach()
        b, t = rgb.shape[:2]
        with torch.no_grad():
            x = preprocess(rgb.reshape(b * t, *rgb.shape[2:]), self.model.image_size)
            tgt = self.target_encoder(x).view_as(z)
        return z, _ln(tgt)

    def forward(
        self, rgb: torch.Tensor, state: torch.Tensor, action: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        cfg = self.cfg
        z, tgt = self.encode(rgb)
        s_n = self.model.norm_state(state)
        a_n = self.model.norm_action(action)
        out = prediction_losses(self.model.predictor, z, tgt, s_n, a_n, cfg.rollout_steps)
        loss = out["tf"] + cfg.rollout_weight * out["rollout"]
        loss = loss + cfg.state_weight * (
            out["state_tf"] + cfg.rollout_weight * out["state_rollout"]
        )
        if self.sigreg is not None:
            # LeJEPA's single trade-off: (1 - lambda) * prediction + lambda * SIGReg.
            out["sigreg"] = self.sigreg(z.reshape(-1, z.shape[-1]))
            lam = cfg.sigreg_weight
            loss = (1 - lam) * loss + lam * out["sigreg"]
        elif self.train_encoder:
            var, cov = vicreg_terms(z.reshape(-1, z.shape[-1]))
            out["var"], out["cov"] = var, cov
            loss = loss + cfg.vicreg_var * var + cfg.vicreg_cov * cov
        if self.state_probe is not None:
            out["state_probe"] = F.l1_loss(self.state_probe(z.flatten(2)), s_n)
            loss = loss + cfg.state_probe_weight * out["state_probe"]
        out["loss"] = loss
        out["latents"] = z.detach()
        return out


def random_shift(x: torch.Tensor, max_shift: int) -> torch.Tensor:
    """Translate x [N, M, H, W, ...] along H and W by a random (dy, dx) in [-max_shift, max_shift]
    per item of dim 0, the same for all M (a clip's frames, or an image's channels); edge pixels
    are replicated."""
    n, m, h, w = x.shape[:4]
    dy, dx = torch.randint(-max_shift, max_shift + 1, (2, n), device=x.device)
    rows = (torch.arange(h, device=x.device)[None] + dy[:, None]).clamp_(0, h - 1)  # [N, H]
    cols = (torch.arange(w, device=x.device)[None] + dx[:, None]).clamp_(0, w - 1)  # [N, W]
    ni = torch.arange(n, device=x.device)[:, None, None, None]
    mi = torch.arange(m, device=x.device)[None, :, None, None]
    return x[ni, mi, rows[:, None, :, None], cols[:, None, None, :]]


def augment(x: torch.Tensor, max_shift: int = 4) -> torch.Tensor:
    """Random translation (edges replicated) and brightness/contrast jitter of x [N,3,S,S]."""
    n = x.shape[0]
    out = random_shift(x, max_shift)
    gain = 1 + 0.2 * (torch.rand(n, 1, 1, 1, device=x.device) * 2 - 1)
    bias = 0.2 * (torch.rand(n, 1, 1, 1, device=x.device) * 2 - 1)
    return out * gain + bias


def augmented_pair(model: JepaWorldModel, rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Two independently augmented encodings of every frame (and view) of ``rgb`` uint8
    [..., H, W, 3]: layer-normed tokens [N, P, D] each, N = all leading dims."""
    x = preprocess(rgb.reshape(-1, *rgb.shape[-3:]), model.image_size)
    return _ln(model.encoder(augment(x))), _ln(model.encoder(augment(x)))


class SSLObjective(Objective):
    """VICReg (Bardes, Ponce & LeCun, ICLR 2022) between two augmented views Z, Z' of each
    frame's token latents: l = lambda s(Z, Z') + mu [v(Z) + v(Z')] / 2 + nu [c(Z) + c(Z')] / 2,
    with s the mean squared difference and v, c as in :func:`~jepa_wm.train.losses.vicreg_terms`
    (lambda, mu, nu = ``vicreg_inv``, ``vicreg_var``, ``vicreg_cov``)."""

    def __init__(self, model: JepaWorldModel, cfg: TrainConfig) -> None:
        super().__init__()
        self.model = model
        self.cfg = cfg
        model.encoder.requires_grad_(True)
        model.predictor.requires_grad_(False)  # unused in this stage (see PredictionObjective)

    def forward(
        self, rgb: torch.Tensor, state: torch.Tensor, action: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        del state, action  # frames only
        z1, z2 = augmented_pair(self.model, rgb)
        inv = F.mse_loss(z1, z2)
        d = z1.shape[-1]
        v1, c1 = vicreg_terms(z1.reshape(-1, d))
        v2, c2 = vicreg_terms(z2.reshape(-1, d))
        var, cov = (v1 + v2) / 2, (c1 + c2) / 2
        cfg = self.cfg
        loss = cfg.vicreg_inv * inv + cfg.vicreg_var * var + cfg.vicreg_cov * cov
        return {"loss": loss, "inv": inv, "var": var, "cov": cov, "latents": z1.detach()[None]}


class SIGRegTerm(nn.Module):
    """SIGReg (:mod:`jepa_wm.train.sigreg`) with fresh random directions every training call.

    The directions come from a CPU generator seeded with ``cfg.seed``, so every DDP rank draws
    the same ones; evaluation always uses the same directions, so validation is comparable.
    """

    def __init__(self, cfg: TrainConfig) -> None:
        super().__init__()
        self.slices, self.knots = cfg.sigreg_slices, cfg.sigreg_knots
        self._gen = torch.Generator().manual_seed(cfg.seed)

    def forward(self, *views: torch.Tensor) -> torch.Tensor:
        """Mean SIGReg of each view's embeddings [N, D] (the same directions for all views)."""
        gen = self._gen if self.training else torch.Generator().manual_seed(0)
        a = random_directions(views[0].shape[-1], self.slices, gen, views[0].device)
        return torch.stack([sigreg(v, a, self.knots) for v in views]).mean()


class SIGRegObjective(Objective):
    """LeJEPA (Balestriero & LeCun 2025, arXiv:2511.08544) on two augmented views per frame.

    L = (1 - lambda) * L_pred + lambda * SIGReg, with L_pred = (1/V) sum_v ||z_v - mean_v z_v||^2
    (the views predict their centre; here V = 2 views, both "global") and SIGReg on each view's
    token embeddings [N*P, D]. No EMA, no stop-gradient, one trade-off weight lambda
    (``sigreg_weight``).
    """

    def __init__(self, model: JepaWorldModel, cfg: TrainConfig) -> None:
        super().__init__()
        self.model = model
        self.cfg = cfg
        self.sigreg = SIGRegTerm(cfg)
        model.encoder.requires_grad_(True)
        model.predictor.requires_grad_(False)  # unused in this stage

    def forward(
        self, rgb: torch.Tensor, state: torch.Tensor, action: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        del state, action  # frames only
        z1, z2 = augmented_pair(self.model, rgb)
        centre = (z1 + z2) / 2
        inv = ((z1 - centre).pow(2).mean() + (z2 - centre).pow(2).mean()) / 2
        d = z1.shape[-1]
        sig = self.sigreg(z1.reshape(-1, d), z2.reshape(-1, d))
        lam = self.cfg.sigreg_weight
        loss = (1 - lam) * inv + lam * sig
        return {"loss": loss, "inv": inv, "sigreg": sig, "latents": z1.detach()[None]}
