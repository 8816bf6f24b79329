"""Closed-loop evaluation of a policy on held-out seeds: success rate with a Wilson 95% CI.

Usage::

    from sim.evaluate import evaluate
    report = evaluate("franka-reach", "expert", episodes=30)
    print(report.success_rate, report.ci95, report.to_dict())

``policy`` is a callable ``(obs, goal) -> action (A,)`` or one of the scripted policy names
("expert", "random", "mixed"). A callable's ``bind_env(env)`` (if any) is called once and its
``reset()`` at each episode start. An episode ends at the first step where ``env.is_success()``
or after ``max_steps`` actions.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.registry import make_env
from sim.seeds import EVAL_SEEDS_START


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


def run_episode(
    env: Any, policy: Any, seed: int, max_steps: int, record: bool = False
) -> tuple[dict[str, Any], list[np.ndarray]]:
    """One episode; returns the per-episode dict and, if ``record``, [obs | goal] frames."""
    t0 = time.perf_counter()
    obs = env.reset(seed=seed)
    goal = env.goal_observation()
    if hasattr(policy, "reset"):
        policy.reset()
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


def evaluate(
    env_name: str,
    policy: Any,
    episodes: int = 30,
    seed_start: int = EVAL_SEEDS_START,
    image_size: int = 64,
    wrist_camera: bool = False,
    video_dir: str | Path | None = None,
    video_episodes: tuple[int, ...] = (0,),
    max_steps: int | None = None,
    progress: bool = False,
) -> EvalReport:
    """Run ``episodes`` episodes on seeds ``seed_start + i``; videos (obs | goal) go to video_dir."""
    from sim.policies import make_policy

    env = make_env(env_name, image_size=image_size, wrist_camera=wrist_camera)
    t0 = time.perf_counter()
    try:
        pol = make_policy(policy, env, seed=seed_start) if isinstance(policy, str) else policy
        if hasattr(pol, "bind_env"):
            pol.bind_env(env)
        limit = int(max_steps or env.max_steps)
        results, videos = [], []
        iterator: Any = range(episodes)
        if progress:
            from tqdm import tqdm

            iterator = tqdm(iterator, desc=f"eval {env_name}", unit="ep")
        for i in iterator:
            record = video_dir is not None and i in video_episodes
            res, frames = run_episode(env, pol, seed_start + i, limit, record=record)
            results.append(res)
            if record and frames:
                out = Path(video_dir) / f"{env_name}_{_policy_name(policy)}_ep{i:03d}.mp4"
                out.parent.mkdir(parents=True, exist_ok=True)
                _write_video(out, frames, env.fps)
                videos.append(str(out))
    finally:
        env.close()
    wins = sum(r["success"] for r in results)
    n = len(results)
    return EvalReport(
        env=env_name,
        policy=_policy_name(policy),
        success_rate=wins / n if n else 0.0,
        ci95=wilson_interval(wins, n),
        mean_steps=float(np.mean([r["steps"] for r in results])) if n else 0.0,
        episodes=results,
        seed_start=int(seed_start),
        image_size=int(image_size),
        seconds=time.perf_counter() - t0,
        videos=videos,
    )
