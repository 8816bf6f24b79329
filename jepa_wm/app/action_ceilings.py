"""How well can the actions be read at all? Ceilings next to the world model's action recovery.

Action recovery (``model_metrics.action_recovery``) asks the world model's energy to single out
the true action of a held-out transition. Three regressors, fitted on the training episodes and
scored on the held-out ones against the same random-action baseline, say what bounds it:

- ``proprio``: ridge from the true state change (s_{t+1} - s_t, s_t) to a_t. An arm's controller
  does not realise a commanded delta exactly within one step, so even the true next pose leaves
  part of the action unexplained.
- ``latent_probe``: ridge from the checkpoint encoder's latents (z_t, z_{t+1} - z_t): whether the
  encoder keeps what moved.
- ``pixel_probe`` (optional, minutes): a small CNN trained on the frame pair with the actions as
  labels for a wall-clock budget: what the images carry for a supervised learner of that size.

If the pixel probe does no better than the world model, the camera, not the model, sets the bar.

Usage::

    data = load_transitions(paths, held_out, frames=True)  # held_out: per store, episode ids
    action_ceilings(data, low, high, model=model, pixel_seconds=300)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from jepa_wm.app.recovery_report import recovery_report
from jepa_wm.errors import StoreError
from jepa_wm.train.latent_cache import encode_stores

if TYPE_CHECKING:
    from jepa_wm.models.world_model import JepaWorldModel

RIDGE_LAMBDAS = (0.1, 1.0, 10.0, 100.0, 1e3, 1e4)


@dataclass
class Transitions:
    """Every finite transition t -> t+1 of some stores, indexed into their concatenated steps."""

    paths: list[str]
    states: np.ndarray  # float32 [F, S]
    actions: np.ndarray  # float32 [F, A]
    frames: np.ndarray | None  # uint8 [F, H, W, 3], when loaded
    t: np.ndarray  # int64 [N] step of frame t (t + 1 is the next frame)
    episode: np.ndarray  # int64 [N] a global episode id
    held_out: np.ndarray  # bool [N] from the checkpoint's episode split
    skipped: int  # transitions dropped for non-finite state or action


def load_transitions(
    paths: list[str], held_out: list[np.ndarray], *, frames: bool = False
) -> Transitions:
    """All transitions of ``paths``; ``held_out[i]``: the held-out episode ids of store i."""
    from jepa_wm.train.data import open_stores

    states, actions, imgs, ts, eps, held = [], [], [], [], [], []
    offset = n_eps = 0
    for st, val_eps in zip(open_stores(paths), held_out, strict=True):
        n = st.num_steps
        states.append(st.read_all("state").astype(np.float32))
        actions.append(st.read_all("action").astype(np.float32))
        if frames:
            imgs.append(st.read_all("rgb"))
            if imgs[-1].shape[1:] != imgs[0].shape[1:]:
                raise StoreError(
                    f"{st.path}: frames {imgs[-1].shape[1:]} differ from the first store's "
                    f"{imgs[0].shape[1:]}; the ceilings need one image size"
                )
        val = set(np.asarray(val_eps).tolist())
        for e in range(st.num_episodes):
            sl = st.episode_slice(e)
            steps = np.arange(sl.start, sl.stop - 1, dtype=np.int64)
            ts.append(steps + offset)
            eps.append(np.full(len(steps), n_eps + e, np.int64))
            held.append(np.full(len(steps), e in val))
        offset, n_eps = offset + n, n_eps + st.num_episodes
    s, a, t = np.concatenate(states), np.concatenate(actions), np.concatenate(ts)
    ok = np.isfinite(s[t]).all(1) & np.isfinite(s[t + 1]).all(1) & np.isfinite(a[t]).all(1)
    return Transitions(
        paths=[str(p) for p in paths],
        states=s,
        actions=a,
        frames=np.concatenate(imgs) if frames else None,
        t=t[ok],
        episode=np.concatenate(eps)[ok],
        held_out=np.concatenate(held)[ok],
        skipped=int((~ok).sum()),
    )


def ridge_predict(
    x_fit: np.ndarray, y_fit: np.ndarray, x_eval: np.ndarray, lam: float
) -> np.ndarray:
    mu, sd = x_fit.mean(0), x_fit.std(0) + 1e-6
    xf = np.c_[(x_fit - mu) / sd, np.ones(len(x_fit))]
    xe = np.c_[(x_eval - mu) / sd, np.ones(len(x_eval))]
    return xe @ np.linalg.solve(xf.T @ xf + lam * np.eye(xf.shape[1]), xf.T @ y_fit)


def inner_split(fit: np.ndarray, episode: np.ndarray) -> np.ndarray:
    """bool [N]: the rows of ``fit`` set aside to choose a ridge strength or a CNN checkpoint:
    those of every fifth episode, or every fifth row when that leaves a side empty."""
    inner = fit & (episode % 5 == 0)
    if not inner.any() or not (fit & ~inner).any():
        inner = fit & (np.arange(len(fit)) % 5 == 0)
    return inner


def _inner(data: Transitions) -> np.ndarray:
    """The training transitions set aside (``inner_split``)."""
    return inner_split(~data.held_out, data.episode)


def ridge_probe(
    features: np.ndarray, data: Transitions, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """features [N, K] -> predicted actions of the held-out transitions, clipped to the bounds.

    The ridge strength is chosen on training transitions (``_inner``), never on held-out ones.
    """
    fit = ~data.held_out
    inner = _inner(data)
    y = data.actions[data.t]
    best = min(
        RIDGE_LAMBDAS,
        key=lambda lam: np.abs(
            np.clip(
                ridge_predict(features[fit & ~inner], y[fit & ~inner], features[inner], lam),
                low,
                high,
            )
            - y[inner]
        ).mean(),
    )
    pred = ridge_predict(features[fit], y[fit], features[data.held_out], best)
    return np.clip(pred, low, high)


class PairCNN(nn.Module):
    """Inverse dynamics from a frame pair: uint8 [B, 2, H, W, 3] -> actions [B, A] in [-1, 1]
    units of the half range. Stride-2 blocks down to a 4 x 4 grid, then an MLP."""

    def __init__(self, image_size: int, action_dim: int) -> None:
        super().__init__()
        chans, layers, size = 6, [], image_size
        for width in (32, 64, 64, 128, 128, 128):
            if size <= 4:
                break
            layers += [nn.Conv2d(chans, width, 3, 2, 1), nn.GroupNorm(8, width), nn.GELU()]
            chans, size = width, (size + 1) // 2
        self.conv = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(chans * size * size, 256), nn.GELU(), nn.Linear(256, action_dim)
        )

    def forward(self, pair: torch.Tensor) -> torch.Tensor:
        b, _, h, w, c = pair.shape
        x = pair.permute(0, 1, 4, 2, 3).reshape(b, 2 * c, h, w).float() / 255.0
        return self.head(self.conv(x))


def pixel_probe(
    data: Transitions,
    low: np.ndarray,
    high: np.ndarray,
    *,
    seconds: float,
    device: torch.device | str = "cpu",
    seed: int = 0,
    batch_size: int = 64,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Train ``PairCNN`` for ``seconds`` of wall clock on the training transitions (L1), keep
    the weights that score best on the set-aside ones (``_inner``), predict the held-out ones.
    """
    if data.frames is None:
        raise ValueError("pixel_probe needs the frames: load_transitions(..., frames=True)")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    mid, half = (high + low) / 2, np.maximum((high - low) / 2, 1e-12)
    frames = torch.from_numpy(data.frames)
    target = torch.from_numpy(((data.actions - mid) / half).astype(np.float32))
    inner = _inner(data)
    fit_t, inner_t = data.t[~data.held_out & ~inner], data.t[inner]
    net = PairCNN(data.frames.shape[1], data.actions.shape[1]).to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)

    def predict(steps: np.ndarray) -> torch.Tensor:
        net.eval()
        with torch.no_grad():
            out = [
                net(_pairs(frames, steps[i : i + 512], device)).clamp(-1, 1).cpu()
                for i in range(0, len(steps), 512)
            ]
        net.train()
        return torch.cat(out)

    best, best_state, step, start = float("inf"), None, 0, time.monotonic()
    while time.monotonic() - start < seconds or best_state is None:
        b = fit_t[rng.integers(0, len(fit_t), batch_size)]
        loss = (net(_pairs(frames, b, device)) - target[b].to(device)).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 250 == 0 or time.monotonic() - start >= seconds:
            err = float((predict(inner_t) - target[inner_t]).abs().mean())
            if err < best:
                best, best_state = err, {k: v.clone() for k, v in net.state_dict().items()}
    net.load_state_dict(best_state)
    pred = predict(data.t[data.held_out]).numpy() * half + mid
    info = {
        "steps": step,
        "seconds": round(time.monotonic() - start, 1),
        "fit_transitions": len(fit_t),
    }
    return np.clip(pred, low, high), info


def _pairs(frames: torch.Tensor, steps: np.ndarray, device: torch.device | str) -> torch.Tensor:
    idx = torch.from_numpy(steps)
    return torch.stack([frames[idx], frames[idx + 1]], 1).to(device)


def action_ceilings(
    data: Transitions,
    low: list[float],
    high: list[float],
    *,
    model: JepaWorldModel | None = None,
    pixel_seconds: float = 0.0,
    action_names: list[str] | None = None,
    device: torch.device | str = "cpu",
    seed: int = 0,
) -> dict[str, Any]:
    """The ``action_ceilings`` section of ``jepa-wm eval-model``: proprio, latent and pixel
    regressors of a_t, each in the action-recovery report format (ratios vs random)."""
    lo, hi = np.asarray(low, np.float64), np.asarray(high, np.float64)
    if not data.held_out.any() or data.held_out.all():
        raise StoreError(
            "action ceilings need both training and held-out episodes "
            f"({len(np.unique(data.episode))} episodes in the given stores)"
        )
    true = data.actions[data.t[data.held_out]].astype(np.float64)
    rand = np.random.default_rng(seed).uniform(lo, hi, size=true.shape)

    def report(pred: np.ndarray, **extra: Any) -> dict[str, Any]:
        return {**recovery_report(pred, true, rand, action_names, seed), **extra}

    s0, s1 = data.states[data.t], data.states[data.t + 1]
    out: dict[str, Any] = {
        "held_out_transitions": int(data.held_out.sum()),
        "skipped_non_finite": data.skipped,
        "proprio": report(ridge_probe(np.c_[s1 - s0, s0], data, lo, hi)),
    }
    if model is not None:
        z = torch.cat(encode_stores(model, data.paths, device)).flatten(1).float().numpy()
        zt, z1 = z[data.t], z[data.t + 1]
        out["latent_probe"] = report(ridge_probe(np.c_[zt, z1 - zt], data, lo, hi))
    if pixel_seconds > 0:
        pred, info = pixel_probe(data, lo, hi, seconds=pixel_seconds, device=device, seed=seed)
        out["pixel_probe"] = report(pred, **info)
    return out
