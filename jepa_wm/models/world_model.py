"""The world model: encoder + AC predictor + action/state normalisation (WorldModel protocol).

Usage::

    model = JepaWorldModel(model_config("tiny", {"action_dim": 7, "state_dim": 7}))
    z = model.encode(rgb)                                     # uint8 [B,T,H,W,3] -> [B,T,P,D]
    ctx = model.make_context(z[:, -1:], state[:, -1:], past_actions[:, :0])
    lat, st = model.rollout(ctx, actions)                     # [N,H,A] -> [N,H,P,D], [N,H,S]
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from jepa_wm.models.config import ModelConfig
from jepa_wm.models.encoder import build_encoder, preprocess
from jepa_wm.models.layers import KV
from jepa_wm.models.predictor import ACPredictor
from jepa_wm.models.readout import StateReadout

# Normalised actions/states are clamped: a planner sampling far outside the training range
# (e.g. a dimension that never moved in the data, std ~ 0) must not feed huge inputs.
NORM_CLAMP = 5.0
STD_FLOOR = 1e-4


@dataclass
class Context:
    """The history of one MPC step: KV cache of the past C-1 blocks + the last frame.

    cache: per predictor layer (k, v) [1, heads, L, dh]; latent [1,1,P,D]; state [1,1,S]
    (normalised); t: time index of the last frame.
    """

    cache: list[KV]
    latent: torch.Tensor
    state: torch.Tensor
    t: int


class JepaWorldModel(nn.Module):
    """V-JEPA 2-AC style world model implementing :class:`WorldModel`."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.config = cfg
        self.encoder = build_encoder(cfg.encoder)
        self.predictor = ACPredictor(
            cfg.predictor, cfg.encoder.dim, cfg.num_tokens, cfg.action_dim, cfg.state_dim
        )
        # One learned embedding per camera view (only with several views, so single-view
        # checkpoints keep their tensors): the shared encoder's tokens then say which view
        # they come from.
        self.view_embed: nn.Parameter | None = None
        if len(cfg.views) > 1:
            self.view_embed = nn.Parameter(torch.randn(len(cfg.views), cfg.encoder.dim) * 0.02)
        for name, dim in (("action", cfg.action_dim), ("state", cfg.state_dim)):
            self.register_buffer(f"{name}_mean", torch.zeros(dim))
            self.register_buffer(f"{name}_std", torch.ones(dim))
        self.state_readout: StateReadout | None = None
        if cfg.state_readout > 0:
            self.state_readout = StateReadout(
                cfg.num_tokens, cfg.encoder.dim, cfg.state_dim, cfg.state_readout
            )

    # -- protocol attributes -------------------------------------------------------------------
    @property
    def action_dim(self) -> int:
        return self.config.action_dim

    @property
    def state_dim(self) -> int:
        return self.config.state_dim

    @property
    def context_len(self) -> int:
        return self.config.predictor.context_len

    @property
    def image_size(self) -> int:
        return self.config.encoder.image_size

    @property
    def num_tokens(self) -> int:
        """P: tokens per time step, over every camera view."""
        return self.config.num_tokens

    @property
    def views(self) -> tuple[str, ...]:
        """The store keys of the camera views the model sees ("rgb" first)."""
        return tuple(self.config.views)

    @property
    def latent_dim(self) -> int:
        return self.config.encoder.dim

    # -- normalisation -------------------------------------------------------------------------
    def set_normalization(self, stats: dict[str, dict[str, list[float]]]) -> None:
        """stats {"action": {"mean", "std"}, "state": {...}} in raw units (store stats)."""
        for name in ("action", "state"):
            mean = torch.as_tensor(stats[name]["mean"], dtype=torch.float32)
            std = torch.as_tensor(stats[name]["std"], dtype=torch.float32).clamp_min(STD_FLOOR)
            buf = getattr(self, f"{name}_mean")
            if mean.shape != buf.shape or std.shape != buf.shape:
                raise ValueError(
                    f"{name} stats have shape {tuple(mean.shape)}, model expects {tuple(buf.shape)}"
                )
            buf.copy_(mean)
            getattr(self, f"{name}_std").copy_(std)

    def norm_action(self, a: torch.Tensor) -> torch.Tensor:
        return ((a - self.action_mean) / self.action_std).clamp(-NORM_CLAMP, NORM_CLAMP)

    def norm_state(self, s: torch.Tensor) -> torch.Tensor:
        return ((s - self.state_mean) / self.state_std).clamp(-NORM_CLAMP, NORM_CLAMP)

    def denorm_state(self, s: torch.Tensor) -> torch.Tensor:
        return s * self.state_std + self.state_mean

    # -- encoder -------------------------------------------------------------------------------
    def encode_raw(self, rgb: torch.Tensor) -> torch.Tensor:
        """uint8 [B,T,H,W,3] (one view) or [B,T,V,H,W,3] (V views, in ``views`` order) ->
        encoder tokens before the layer norm [B,T,P,D], P = V x tokens per view."""
        v = len(self.config.views)
        want = "[B, T, H, W, 3]" if v == 1 else f"[B, T, {v}, H, W, 3] ({', '.join(self.views)})"
        if rgb.dim() != (5 if v == 1 else 6) or (v > 1 and rgb.shape[2] != v):
            raise ValueError(f"expected frames {want}, got {tuple(rgb.shape)}")
        b, t = rgb.shape[:2]
        x = preprocess(rgb.reshape(-1, *rgb.shape[-3:]), self.image_size)
        z = self.encoder(x)  # [B*T*V, P_view, D]
        if self.view_embed is not None:
            z = z.view(b * t, v, -1, self.latent_dim) + self.view_embed[None, :, None, :]
        return z.reshape(b, t, self.num_tokens, self.latent_dim)

    def encode(self, rgb: torch.Tensor) -> torch.Tensor:
        """uint8 frames (see ``encode_raw``) -> layer-normed latents [B,T,P,D] (the prediction
        target space)."""
        # A static normalised shape keeps the ONNX export free of shape arithmetic.
        return F.layer_norm(self.encode_raw(rgb), (self.latent_dim,))

    @property
    def has_state_readout(self) -> bool:
        return self.state_readout is not None

    def read_state(self, latents: torch.Tensor) -> torch.Tensor:
        """Estimated proprio state of encoded frames: latents [B,P,D] -> states [B,S] (raw units).

        Raises ValueError when the model has no read-out head (``state_readout: 0``)."""
        if self.state_readout is None:
            raise ValueError(
                "this world model has no state read-out (fit one: jepa-wm fit-readout)"
            )
        return self.denorm_state(self.state_readout(latents))

    # -- planning ------------------------------------------------------------------------------
    def _check_context(
        self, latents: torch.Tensor, states: torch.Tensor, past: torch.Tensor
    ) -> None:
        c = latents.shape[1]
        if latents.dim() != 4 or states.shape[:2] != latents.shape[:2] or c < 1:
            raise ValueError(
                f"context latents [B,C,P,D] / states [B,C,S] mismatch: "
                f"{tuple(latents.shape)} vs {tuple(states.shape)}"
            )
        if past.shape[:2] != (latents.shape[0], c - 1):
            raise ValueError(f"past_actions must be [B, C-1={c - 1}, A], got {tuple(past.shape)}")

    def make_context(
        self, latents: torch.Tensor, states: torch.Tensor, past_actions: torch.Tensor
    ) -> Context:
        """latents [1,C,P,D], states [1,C,S] (raw), past_actions [1,C-1,A] (raw) -> Context.

        Any C >= 1 works: the whole history is encoded (the attention window applies per layer,
        so older frames still reach the cache) and the K/V of the last context_len - 1 blocks
        are kept, exactly what the uncached forward over the same history computes.
        """
        self._check_context(latents, states, past_actions)
        c = latents.shape[1]
        s_n = self.norm_state(states)
        cache: list[KV] = []
        if c > 1 and self.context_len > 1:  # a Markov model keeps no history
            cache = self.predictor.forward_with_cache(
                latents[:, :-1], s_n[:, :-1], self.norm_action(past_actions)
            )
        return Context(cache=cache, latent=latents[:, -1:], state=s_n[:, -1:], t=c - 1)

    def rollout(self, context: Context, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """KV-cached rollout: actions [N,H,A] (raw) -> latents [N,H,P,D], states [N,H,S] (raw)."""
        n, horizon = actions.shape[:2]
        a_n = self.norm_action(actions)
        z = context.latent.expand(n, -1, -1, -1)
        s = context.state.expand(n, -1, -1)
        cache: list[KV] | None = context.cache or None
        zs, ss = [], []
        for h in range(horizon):
            z, s, cache = self.predictor.step(z, s, a_n[:, h : h + 1], context.t + h, cache)
            zs.append(z)
            ss.append(s)
        return torch.cat(zs, 1), self.denorm_state(torch.cat(ss, 1))

    def rollout_naive(
        self,
        latents: torch.Tensor,
        states: torch.Tensor,
        past_actions: torch.Tensor,
        actions: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Uncached reference: re-runs the whole sequence at every step (V-JEPA 2-AC style).

        latents [1,C,P,D], states [1,C,S], past_actions [1,C-1,A], actions [N,H,A] (raw units)
        -> latents [N,H,P,D], states [N,H,S]; equal to make_context + rollout.
        """
        self._check_context(latents, states, past_actions)
        n, horizon = actions.shape[:2]
        z = latents.expand(n, -1, -1, -1)
        s = self.norm_state(states).expand(n, -1, -1)
        past = self.norm_action(past_actions).expand(n, -1, -1)
        a = torch.cat([past, self.norm_action(actions)], dim=1)
        zs, ss = [], []
        for _ in range(horizon):
            pz, ps = self.predictor(z, s, a[:, : z.shape[1]])
            zs.append(pz[:, -1:])
            ss.append(ps[:, -1:])
            z, s = torch.cat([z, zs[-1]], 1), torch.cat([s, ss[-1]], 1)
        return torch.cat(zs, 1), self.denorm_state(torch.cat(ss, 1))
