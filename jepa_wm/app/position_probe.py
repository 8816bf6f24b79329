"""Linear probes of the end-effector and object positions from a world model's latents.

What the planner's latent energy can tell apart is what the latents keep: if a linear read-out
of the frozen latents misses the cube by 3 cm, a plan that matches goal latents cannot place the
hand closer than that. The probe records fresh episodes of a pybullet task with a scripted
policy (scene seeds the training stores never used), encodes every frame with the checkpoint's
encoder (all of its camera views), and fits a ridge regression from the flattened latents
[V*P*D] to each position, on three quarters of the episodes; the error is the mean Euclidean
distance on the other quarter, in cm, next to predicting the fitting episodes' mean position.
The ridge strength is chosen on a fifth of the fitting episodes (``inner_split``, as for the
action ceilings), never on the scored ones.

The sim's privileged ``info()`` gives the positions: ``ee_pos`` for every arm task, ``cube_pos``
for franka-grasp and franka-pick-place, ``object_pos`` for franka-push where the task has it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from jepa_wm.app.action_ceilings import RIDGE_LAMBDAS, inner_split, ridge_predict
from jepa_wm.app.policy import observation_frames
from jepa_wm.errors import ConfigError
from jepa_wm.train.latent_cache import encode_views

# info() keys of positions (metres, world frame) a probe may target
POSITION_KEYS: tuple[str, ...] = ("ee_pos", "cube_pos", "object_pos")


@dataclass(frozen=True)
class ProbeConfig:
    """Which episodes to record for the probe.

    seed: first scene seed; the default is past the closed-loop evaluation seeds
        (1_000_000-1_000_999) and far from every training range.
    fit_fraction: share of the episodes the ridge fits on (the rest are scored).
    """

    env: str = "franka-grasp"
    episodes: int = 40
    seed: int = 2_000_000
    policy: str = "mixed"
    fit_fraction: float = 0.75

    def __post_init__(self) -> None:
        if self.episodes < 4:
            raise ConfigError(f"probe episodes must be >= 4, got {self.episodes}")
        if not 0.0 < self.fit_fraction < 1.0:
            raise ConfigError(f"probe fit_fraction must be in (0, 1), got {self.fit_fraction}")


@dataclass
class ProbeFrames:
    """frames uint8 [N, V, H, W, 3]; positions name -> [N, 3] metres; episode int [N]."""

    frames: np.ndarray
    positions: dict[str, np.ndarray]
    episode: np.ndarray


def save_probe_frames(path: str | Path, data: ProbeFrames, meta: dict[str, Any]) -> None:
    """Write ``data`` and what it was recorded with (``meta``, JSON) to an ``.npz`` (no pickle)."""
    arrays = {f"pos_{k}": v for k, v in data.positions.items()}
    np.savez_compressed(
        path, frames=data.frames, episode=data.episode, meta=np.array(json.dumps(meta)), **arrays
    )


def load_probe_frames(path: str | Path, meta: dict[str, Any]) -> ProbeFrames:
    """Read a ``save_probe_frames`` file; raises ConfigError if it was recorded with another
    ``meta`` (env, episodes, seed, policy, views, image size)."""
    with np.load(path, allow_pickle=False) as z:
        saved = json.loads(str(z["meta"]))
        if saved != meta:
            diff = sorted(k for k in meta.keys() | saved.keys() if meta.get(k) != saved.get(k))
            raise ConfigError(
                f"{path}: probe frames recorded with another {', '.join(diff)} "
                f"({', '.join(f'{k}={saved.get(k)!r}' for k in diff)}); delete it or pick another file"
            )
        positions = {k[4:]: z[k] for k in z.files if k.startswith("pos_")}
        return ProbeFrames(z["frames"], positions, z["episode"])


def record_probe_frames(cfg: ProbeConfig, views: tuple[str, ...], image_size: int) -> ProbeFrames:
    """Roll out ``cfg.episodes`` episodes of ``cfg.policy`` and keep every observation's views
    and the positions its ``info()`` reports. Raises ConfigError for an env without any."""
    from sim.policies import make_policy
    from sim.registry import make_env
    from sim.seeds import policy_seed

    env = make_env(cfg.env, image_size=image_size, wrist_camera=len(views) > 1)
    frames: list[np.ndarray] = []
    positions: dict[str, list[Any]] = {}
    episode: list[int] = []
    try:
        policy = make_policy(cfg.policy, env)
        for i in range(cfg.episodes):
            seed = cfg.seed + i
            obs = env.reset(seed=seed)
            goal = env.goal_observation() if getattr(policy, "uses_goal", True) else None
            policy.reset(seed=policy_seed(seed))
            for t in range(env.max_steps + 1):
                frames.append(observation_frames(obs, views).reshape(len(views), *obs.rgb.shape))
                info = env.info()
                for key in POSITION_KEYS:
                    if key in info:
                        positions.setdefault(key, []).append(info[key])
                episode.append(i)
                if t == env.max_steps or env.is_success():
                    break
                env.send_action(np.asarray(policy(obs, goal)))
                obs = env.get_observation()
    finally:
        env.close()
    if not positions:
        raise ConfigError(f"{cfg.env}: its info() reports none of {', '.join(POSITION_KEYS)}")
    return ProbeFrames(
        np.stack(frames),
        {k: np.asarray(v, dtype=np.float64) for k, v in positions.items()},
        np.asarray(episode),
    )


@torch.no_grad()
def encode_frames(model: Any, frames: np.ndarray, device: torch.device | str = "cpu") -> np.ndarray:
    """uint8 [N, V, H, W, 3] -> the model's layer-normed latents flattened, f32 [N, V*P*D]."""
    model.eval()
    out = []
    for i in range(0, len(frames), 256):
        views = list(torch.from_numpy(frames[i : i + 256]).unbind(1))
        out.append(encode_views(model, views, device).flatten(1).float().numpy())
    return np.concatenate(out)


def fit_mask(episode: np.ndarray, fit_fraction: float) -> np.ndarray:
    """bool [N]: the frames of the first ``fit_fraction`` of the episodes (at least 2, and at
    least one episode left to score)."""
    n_eps = int(episode.max()) + 1
    n_fit = max(2, min(n_eps - 1, round(n_eps * fit_fraction)))
    return episode < n_fit


def fit_position_probes(
    features: np.ndarray, data: ProbeFrames, fit_fraction: float = 0.75
) -> dict[str, dict[str, float]]:
    """Ridge from ``features`` [N, K] to each position; per position: ``probe_cm`` and
    ``mean_cm`` (mean Euclidean error on the scored episodes, cm) and ``ratio`` = probe / mean.
    """
    fit = fit_mask(data.episode, fit_fraction)
    inner = inner_split(fit, data.episode)  # chooses the ridge strength
    out: dict[str, dict[str, float]] = {}
    for key, y in data.positions.items():

        def inner_err(lam: float, y: np.ndarray = y) -> float:
            pred = ridge_predict(features[fit & ~inner], y[fit & ~inner], features[inner], lam)
            return float(np.linalg.norm(pred - y[inner], axis=1).mean())

        lam = min(RIDGE_LAMBDAS, key=inner_err)
        pred = ridge_predict(features[fit], y[fit], features[~fit], lam)
        probe = float(np.linalg.norm(pred - y[~fit], axis=1).mean()) * 100.0
        mean = float(np.linalg.norm(y[fit].mean(0) - y[~fit], axis=1).mean()) * 100.0
        out[key] = {"probe_cm": probe, "mean_cm": mean, "ratio": probe / max(mean, 1e-9),
                    "ridge_lambda": float(lam)}  # fmt: skip
    return out


def position_probe_report(
    model: Any,
    cfg: ProbeConfig,
    device: torch.device | str = "cpu",
    frames_file: str | Path | None = None,
) -> dict[str, Any]:
    """The eval-model ``position_probe`` section: records (or, with ``frames_file`` holding
    frames of the same episodes and views, reuses), encodes, fits and scores. Models compared on
    one ``frames_file`` are probed on the very same frames."""
    views = tuple(model.views)
    meta = {**asdict(cfg), "views": list(views), "image_size": model.image_size}
    if frames_file is not None and Path(frames_file).is_file():
        data = load_probe_frames(frames_file, meta)
    else:
        data = record_probe_frames(cfg, views, model.image_size)
        if frames_file is not None:
            save_probe_frames(frames_file, data, meta)
    probes = fit_position_probes(encode_frames(model, data.frames, device), data, cfg.fit_fraction)
    return {
        "env": cfg.env,
        "policy": cfg.policy,
        "episodes": cfg.episodes,
        "seed_start": cfg.seed,
        "frames": len(data.episode),
        "scored_frames": int((~fit_mask(data.episode, cfg.fit_fraction)).sum()),
        "positions": probes,
    }
