"""Record episodes of a pybullet task into a trajectory store (composition of sim + data).

Usage::

    summary = collect(CollectConfig(env="franka-grasp", episodes=100, out="grasp.zarr"))

Re-running on an existing store appends: the seed sequence continues after the episodes already
there (episode i always uses seed ``seed_start + i``). A store recorded with another env, image
size, camera set or policy is refused with a clear error.

Each episode holds T observations and T actions: ``action[t]`` is the (clipped, applied) command
sent after ``rgb[t]``/``state[t]``. The last row is the final observation, after the episode's
last command, with a zero action (it has no successor frame).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from jepa_wm.config import to_dict
from jepa_wm.data.location import as_location, exists
from jepa_wm.data.store import TrajectoryStore
from jepa_wm.errors import ConfigError, StoreError
from sim.seeds import policy_seed

if TYPE_CHECKING:
    from sim.franka_base import FrankaEnv
    from sim.husky_nav import HuskyNavEnv

# Keys that must match to append to an existing store.
_COMPATIBLE_KEYS = ("env", "image_size", "cameras", "policy", "seed_start")


@dataclass(frozen=True)
class CollectConfig:
    """What to collect.

    policy: "expert", "random" (correlated random) or "mixed" (noisy expert + random segments).
    seed: first scene seed (training seeds start at 0; evaluation seeds are 1_000_000 and up).
    max_steps: per-episode cap (None: the task's max_steps).
    tail_steps: steps kept after the first success (so success frames are in the data);
        negative means never stop early.
    """

    env: str
    episodes: int
    out: str
    policy: str = "mixed"
    seed: int = 0
    image_size: int = 64
    wrist: bool = False
    max_steps: int | None = None
    tail_steps: int = 5
    progress: bool = True

    def __post_init__(self) -> None:
        from sim.policies import POLICY_NAMES
        from sim.registry import ENV_NAMES, IMAGE_SIZES

        if self.env not in ENV_NAMES:
            raise ConfigError(f"unknown env {self.env!r}; valid envs: {', '.join(ENV_NAMES)}")
        if self.policy not in POLICY_NAMES:
            raise ConfigError(f"unknown policy {self.policy!r}; valid: {', '.join(POLICY_NAMES)}")
        if self.image_size not in IMAGE_SIZES:
            raise ConfigError(f"image_size must be one of {IMAGE_SIZES}, got {self.image_size}")
        if self.episodes < 0:
            raise ConfigError(f"episodes must be >= 0, got {self.episodes}")


def run_collect_episode(
    env: FrankaEnv | HuskyNavEnv, policy: Any, seed: int, max_steps: int, tail_steps: int
) -> tuple[dict[str, np.ndarray], bool]:
    """Roll out one episode; returns the store episode dict and whether it succeeded."""
    obs = env.reset(seed=seed)
    # Scripted policies read privileged state; skip rendering a goal they never look at.
    goal = env.goal_observation() if getattr(policy, "uses_goal", True) else None
    policy.reset(seed=policy_seed(seed))
    rows: list[tuple[Any, np.ndarray]] = []
    success_at: int | None = None
    for t in range(max_steps):
        applied = env.send_action(np.asarray(policy(obs, goal)))
        rows.append((obs, applied))
        obs = env.get_observation()
        if success_at is None and env.is_success():
            success_at = t
        if success_at is not None and 0 <= tail_steps <= t - success_at:
            break
    rows.append((obs, np.zeros(env.action_spec.dim, dtype=np.float32)))
    episode = {
        "rgb": np.stack([o.rgb for o, _ in rows]),
        "state": np.stack([o.state for o, _ in rows]).astype(np.float32),
        "action": np.stack([a for _, a in rows]).astype(np.float32),
        "timestamp": np.array([o.timestamp for o, _ in rows], dtype=np.float64),
    }
    for cam in rows[0][0].images:
        episode[f"rgb_{cam}"] = np.stack([o.images[cam] for o, _ in rows])
    return episode, success_at is not None


def _source(cfg: CollectConfig, env: Any) -> dict[str, Any]:
    return {
        "kind": "sim",
        "simulator": "pybullet",
        "env": cfg.env,
        "image_size": cfg.image_size,
        "cameras": sorted(env.camera_info()),
        "policy": cfg.policy,
        "seed_start": cfg.seed,
        "seeds": "episode i uses scene seed seed_start + i",
        "max_steps": cfg.max_steps or env.max_steps,
        "physics_hz": env.fps * env.substeps if hasattr(env, "substeps") else None,
        "collect_config": to_dict(cfg),
    }


def _open_or_create(cfg: CollectConfig, env: FrankaEnv | HuskyNavEnv) -> TrajectoryStore:
    source = _source(cfg, env)
    path = as_location(cfg.out)
    if not exists(path):
        return TrajectoryStore.create(
            path,
            fps=env.fps,
            source=source,
            feature_names={"state": list(env.state_names), "action": list(env.action_spec.names)},
            cameras=env.camera_info(),
        )
    store = TrajectoryStore.open(path, mode="a")
    old = store.attrs.get("source", {})
    for key in _COMPATIBLE_KEYS:
        if old.get(key) != source[key]:
            raise StoreError(
                f"{path}: cannot append: the store was recorded with {key}={old.get(key)!r}, "
                f"this run has {key}={source[key]!r} (use another --out)"
            )
    return store


def _worker_state(cfg: CollectConfig) -> tuple[Any, Any]:
    """A collection process's env and policy (built in the worker: pybullet stays there)."""
    from sim.policies import make_policy
    from sim.registry import make_env

    env = make_env(cfg.env, image_size=cfg.image_size, wrist_camera=cfg.wrist)
    return env, make_policy(cfg.policy, env, seed=cfg.seed)


def _episode_job(
    max_steps: int, tail_steps: int, state: tuple[Any, Any], seed: int
) -> tuple[dict[str, np.ndarray], bool]:
    env, policy = state
    return run_collect_episode(env, policy, seed, max_steps, tail_steps)


def collect(cfg: CollectConfig, workers: int = 1, ray_address: str | None = None) -> dict[str, Any]:
    """Collect ``cfg.episodes`` more episodes into ``cfg.out``; returns a JSON-able summary.

    workers: processes rolling out episodes; the parent appends them in seed order, so the
    store is the same for any number of workers (each episode depends on its seed alone).
    ray_address: run the workers as Ray actors there ("local": a local Ray runtime).
    """
    from sim.parallel import EpisodePool
    from sim.policies import make_policy
    from sim.registry import make_env

    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    if ray_address is not None:
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            raise ConfigError("--ray needs the ray package (pip install 'jepa-wm[ray]')")
    env = make_env(cfg.env, image_size=cfg.image_size, wrist_camera=cfg.wrist)
    store: TrajectoryStore | None = None
    try:
        store = _open_or_create(cfg, env)  # holds the store's writer lock until closed
        first = store.num_episodes
        max_steps = int(cfg.max_steps or env.max_steps)
        seeds = [cfg.seed + i for i in range(first, first + cfg.episodes)]
        if workers == 1 and ray_address is None:
            here = (env, make_policy(cfg.policy, env, seed=cfg.seed))
            make_state: Any = lambda: here  # noqa: E731 (this process: nothing to pickle)
        else:
            make_state = partial(_worker_state, cfg)
        log = dict(store.attrs.get("collection", {"success": []}))
        steps, t0, wins = 0, time.perf_counter(), 0
        with EpisodePool(make_state, workers, ray_address) as pool:
            done: Any = pool.map(partial(_episode_job, max_steps, cfg.tail_steps), seeds)
            if cfg.progress:
                from tqdm import tqdm

                done = tqdm(done, total=len(seeds), desc=f"collect {cfg.env}", unit="ep")
            for episode, ok in done:
                store.add_episode(episode)
                log["success"] = [*log.get("success", []), bool(ok)]
                store.update_attrs({"collection": log})
                steps += len(episode["action"])
                wins += ok
                if cfg.progress:
                    done.set_postfix(steps_per_s=f"{steps / (time.perf_counter() - t0):.1f}")
        seconds = time.perf_counter() - t0
        if store.num_episodes:
            store.compute_stats()
        return {
            "out": str(cfg.out),
            "env": cfg.env,
            "policy": cfg.policy,
            "episodes_added": cfg.episodes,
            "first_seed": cfg.seed + first,
            "num_episodes": store.num_episodes,
            "num_steps": store.num_steps,
            "steps_added": steps,
            "success_rate": wins / cfg.episodes if cfg.episodes else None,
            "seconds": seconds,
            "steps_per_s": steps / seconds if seconds > 0 else None,
            "workers": workers,
        }
    finally:
        if store is not None:
            store.close()
        env.close()
