"""Closed-loop evaluation of a policy on held-out seeds: success rate with a Wilson 95% CI.

Usage::

    from sim.evaluate import EvalConfig, evaluate
    report = evaluate(EvalConfig("franka-reach", episodes=30), "expert")
    report = evaluate(EvalConfig("franka-reach", episodes=30, workers=2), "mixed")  # same seeds
    print(report.success_rate, report.ci95, report.to_dict())

``policy`` is a callable ``(obs, goal) -> action (A,)`` or one of the scripted policy names
("expert", "random", "mixed"). A callable's ``bind_env(env)`` (if any) is called once per
process and its ``reset()`` at each episode start, as ``reset(seed=policy_seed(seed))`` when it
takes a seed, so an episode depends on its seed alone. An episode ends at the first step where
``env.is_success()`` or after ``max_steps`` actions.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from sim.parallel import EpisodePool
from sim.registry import make_env
from sim.seeds import EVAL_SEEDS_START, policy_seed


@dataclass(frozen=True)
class EvalConfig:
    """How a closed-loop evaluation runs (what ``jepa-wm eval-policy`` / ``eval`` flags set).

    env: task name (sim.registry); episodes on seeds ``seed_start + i``; image_size: camera
    side in px; wrist_camera: also render the wrist view; max_steps: per-episode cap (None: the
    env's); video_dir: write mp4s (obs | goal) of the ``video_episodes`` indices there; workers:
    processes running episodes (per-seed results are the same for any number); progress: a
    progress bar on stderr."""

    env: str
    episodes: int = 30
    seed_start: int = EVAL_SEEDS_START
    image_size: int = 64
    wrist_camera: bool = False
    max_steps: int | None = None
    video_dir: str | Path | None = None
    video_episodes: tuple[int, ...] = (0,)
    workers: int = 1
    progress: bool = False


@dataclass
class EvalReport:
    """Aggregate and per-episode results (per-episode: seed, success, steps, seconds, info)."""

    env: str
    policy: str
    success_rate: float
    ci95: tuple[float, float]
    mean_steps: float
    episodes: list[dict[str, Any]] = field(default_factory=list)
    seed_start: int = EVAL_SEEDS_START
    image_size: int = 64
    seconds: float = 0.0
    videos: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci95"] = list(self.ci95)
        d["num_episodes"] = len(self.episodes)
        return d


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (well-behaved at 0 and n successes)."""
    if n <= 0:
        return (0.0, 1.0)
    phat = successes / n
    denom = 1.0 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _policy_name(policy: Any) -> str:
    if isinstance(policy, str):
        return policy
    return str(getattr(policy, "name", type(policy).__name__))


def _write_video(path: Path, frames: list[np.ndarray], fps: float) -> None:
    """Write RGB frames (T, H, W, 3) as an mp4 ('mp4v' works with opencv-python-headless)."""
    import cv2

    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not writer.isOpened():
        raise OSError(f"cannot open a video writer for {path}")
    try:
        for f in frames:
            writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()


def _reset_policy(policy: Any, seed: int) -> None:
    """Start an episode: a policy whose ``reset`` takes a seed gets one derived from the scene
    seed, so an episode's result depends on its seed alone (not on the episodes before it)."""
    reset = getattr(policy, "reset", None)
    if reset is None:
        return
    if "seed" in inspect.signature(reset).parameters:
        reset(seed=policy_seed(seed))
    else:
        reset()


def run_episode(
    env: Any, policy: Any, seed: int, max_steps: int, record: bool = False
) -> tuple[dict[str, Any], list[np.ndarray]]:
    """One episode; returns the per-episode dict and, if ``record``, [obs | goal] frames."""
    t0 = time.perf_counter()
    obs = env.reset(seed=seed)
    goal = env.goal_observation()
    _reset_policy(policy, seed)
    frames: list[np.ndarray] = []
    steps, success = 0, env.is_success()
    while not success and steps < max_steps:
        if record:
            frames.append(np.concatenate([obs.rgb, goal.rgb], axis=1))
        env.send_action(np.asarray(policy(obs, goal)))
        steps += 1
        success = bool(env.is_success())
        obs = env.get_observation()
    if record:
        frames.append(np.concatenate([obs.rgb, goal.rgb], axis=1))
    result = {
        "seed": int(seed),
        "success": bool(success),
        "steps": steps,
        "seconds": time.perf_counter() - t0,
        "info": env.info(),
    }
    return result, frames


@dataclass
class _Worker:
    """What one evaluation process holds: its env and its bound policy."""

    env: Any
    policy: Any

    def close(self) -> None:
        self.env.close()


def _worker(
    env_name: str, image_size: int, wrist_camera: bool, policy: Any, seed_start: int
) -> _Worker:
    """Build the env and the policy: ``policy`` is a scripted name, a policy object (this
    process only), or a ``_Factory`` whose picklable ``make()`` builds one in a worker."""
    from sim.policies import make_policy

    env = make_env(env_name, image_size=image_size, wrist_camera=wrist_camera)
    if isinstance(policy, str):
        pol = make_policy(policy, env, seed=seed_start)
    elif isinstance(policy, _Factory):
        pol = policy.make()
    else:
        pol = policy
    if hasattr(pol, "bind_env"):
        pol.bind_env(env)
    return _Worker(env, pol)


@dataclass(frozen=True)
class _Factory:
    make: Callable[[], Any]


def _episode(
    max_steps: int | None, take_samples: bool, state: _Worker, job: tuple[int, str | None]
) -> tuple[dict[str, Any], dict[str, list[float]] | None]:
    """One job of the pool: run one seed, write its video if the job names a path."""
    seed, video = job
    limit = int(max_steps or state.env.max_steps)
    res, frames = run_episode(state.env, state.policy, seed, limit, record=video is not None)
    if video is not None and frames:
        Path(video).parent.mkdir(parents=True, exist_ok=True)
        _write_video(Path(video), frames, state.env.fps)
    take = getattr(state.policy, "take_samples", None)
    return res, (take() if take_samples and callable(take) else None)


def evaluate(
    cfg: EvalConfig, policy: Any, policy_factory: Callable[[], Any] | None = None
) -> EvalReport:
    """Run ``cfg.episodes`` episodes of ``policy`` on ``cfg.env`` (see :class:`EvalConfig`).

    With ``cfg.workers > 1`` a policy object cannot cross into the workers: pass a picklable
    ``policy_factory`` (e.g. ``functools.partial`` of a module-level function) that builds it
    there; ``policy`` then names the report and receives ``merge_samples(take_samples())``
    of every episode if it has that method. Raises ValueError for a bad ``workers``.
    """
    env_name, episodes, workers, progress = cfg.env, cfg.episodes, cfg.workers, cfg.progress
    seed_start, image_size, video_dir = cfg.seed_start, cfg.image_size, cfg.video_dir
    if workers > 1 and not isinstance(policy, str):
        if policy_factory is None:
            raise ValueError("workers > 1 needs a scripted policy name or a policy_factory")
        spec: Any = _Factory(policy_factory)
    else:
        spec = policy
    name = _policy_name(policy)
    jobs = []
    for i in range(episodes):
        film = video_dir is not None and i in cfg.video_episodes
        path = Path(video_dir) / f"{env_name}_{name}_ep{i:03d}.mp4" if film else None
        jobs.append((seed_start + i, None if path is None else str(path)))
    make_state = partial(_worker, env_name, image_size, cfg.wrist_camera, spec, seed_start)
    t0 = time.perf_counter()
    results: list[dict[str, Any]] = []
    with EpisodePool(make_state, workers) as pool:
        done: Any = pool.map(partial(_episode, cfg.max_steps, workers > 1), jobs)
        if progress:
            from tqdm import tqdm

            done = tqdm(done, total=episodes, desc=f"eval {env_name}", unit="ep")
        for res, samples in done:
            results.append(res)
            if samples is not None and hasattr(policy, "merge_samples"):
                policy.merge_samples(samples)
            if progress:
                wins = sum(r["success"] for r in results)
                done.set_postfix(success=f"{wins}/{len(results)}")
    wins = sum(r["success"] for r in results)
    n = len(results)
    return EvalReport(
        env=env_name,
        policy=name,
        success_rate=wins / n if n else 0.0,
        ci95=wilson_interval(wins, n),
        mean_steps=float(np.mean([r["steps"] for r in results])) if n else 0.0,
        episodes=results,
        seed_start=int(seed_start),
        image_size=int(image_size),
        seconds=time.perf_counter() - t0,
        videos=[v for _, v in jobs if v is not None],
    )
