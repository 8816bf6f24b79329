"""The Gymnasium wrapper follows the gymnasium API (checked by gymnasium's own checker)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env

from sim.gym_env import SimGymEnv, register_envs


def test_sim_gym_env_passes_checker_and_terminates_on_success() -> None:
    env = SimGymEnv("franka-reach", image_size=64)
    try:
        check_env(env, skip_render_check=True)
        obs, info = env.reset(seed=1)
        assert obs["rgb"].shape == (64, 64, 3) and info["goal_rgb"].shape == (64, 64, 3)
        for _ in range(env.sim.max_steps):
            obs, reward, terminated, truncated, info = env.step(env.sim.expert_action())
            if terminated:
                break
        assert terminated and reward == 1.0 and not truncated
    finally:
        env.close()


def test_sim_gym_registration() -> None:
    register_envs()
    env = gym.make("JepaWm/husky-nav-v0", image_size=64)
    try:
        obs, _ = env.reset(seed=0)
        assert obs["state"].shape == (3,)
        assert env.action_space.contains(np.zeros(2, dtype=np.float32))
    finally:
        env.close()
