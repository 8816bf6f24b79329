"""Gymnasium view of the sim tasks (for RL libraries and stable-worldmodel-style tooling).

Usage::

    from sim.gym_env import SimGymEnv
    env = SimGymEnv("franka-grasp", image_size=64)
    obs, info = env.reset(seed=0)       # obs = {"rgb": uint8 (H,W,3), "state": float32 (S,), ...}
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())

Reward is sparse: 1.0 on the step that reaches success (the episode then terminates);
``truncated`` is set after the task's ``max_steps``. ``info["goal_rgb"]`` holds the goal image.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from hardware.interfaces import Observation
from sim.registry import ENV_NAMES, make_env


class SimGymEnv(gym.Env):
    """Wrap ``make_env(name)`` as a ``gymnasium.Env`` with Dict observations."""

    metadata = {"render_modes": ["rgb_array"]}

    def __init__(
        self, name: str, image_size: int = 64, wrist_camera: bool = False,
        render_mode: str | None = "rgb_array",
    ) -> None:  # fmt: skip
        self.sim = make_env(name, image_size=image_size, wrist_camera=wrist_camera)
        self.name = name
        self.render_mode = render_mode
        spec = self.sim.action_spec
        self.action_space = spaces.Box(spec.low.astype(np.float32), spec.high.astype(np.float32))
        img = spaces.Box(0, 255, (image_size, image_size, 3), dtype=np.uint8)
        obs0 = self.sim.get_observation()
        parts: dict[str, spaces.Space] = {
            "rgb": img,
            "state": spaces.Box(-100.0, 100.0, (len(self.sim.state_names),), dtype=np.float32),
        }
        for cam in obs0.images:
            parts[f"rgb_{cam}"] = img
        self.observation_space = spaces.Dict(parts)
        self._steps = 0

    def _to_dict(self, obs: Observation) -> dict[str, np.ndarray]:
        d = {"rgb": obs.rgb, "state": np.asarray(obs.state, dtype=np.float32)}
        d.update({f"rgb_{k}": v for k, v in obs.images.items()})
        return d

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        if seed is None:  # gymnasium semantics: no seed continues the env's own RNG
            seed = int(self.np_random.integers(0, 2**31))
        obs = self.sim.reset(seed=seed, options=options)
        self._steps = 0
        info = {**self.sim.info(), "goal_rgb": self.sim.goal_observation().rgb}
        return self._to_dict(obs), info

    def step(
        self, action: np.ndarray
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        applied = self.sim.send_action(action)
        self._steps += 1
        success = bool(self.sim.is_success())
        obs = self.sim.get_observation()
        info = {**self.sim.info(), "applied_action": applied, "is_success": success}
        truncated = self._steps >= self.sim.max_steps and not success
        return self._to_dict(obs), float(success), success, truncated, info

    def render(self) -> np.ndarray:
        return self.sim.get_observation().rgb

    def close(self) -> None:
        self.sim.close()


def register_envs() -> None:
    """Register every task as ``JepaWm/<name>-v0`` with gymnasium (idempotent)."""
    for name in ENV_NAMES:
        env_id = f"JepaWm/{name}-v0"
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=SimGymEnv, kwargs={"name": name})
