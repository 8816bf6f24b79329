"""The scripted experts solve every task on held-out seeds (no rendering, to stay fast)."""

from __future__ import annotations

import pytest

from sim.registry import ENV_NAMES, make_env
from sim.seeds import EVAL_SEEDS_START, TRAIN_SEEDS_START, is_eval_seed


@pytest.mark.parametrize("name", ENV_NAMES)
def test_sim_expert_succeeds_on_eval_seeds(name: str) -> None:
    env = make_env(name, image_size=64)
    wins = 0
    try:
        for seed in range(EVAL_SEEDS_START, EVAL_SEEDS_START + 3):
            env.reset(seed=seed)
            for _ in range(env.max_steps):
                env.send_action(env.expert_action())
                if env.is_success():
                    wins += 1
                    break
    finally:
        env.close()
    assert wins == 3


def test_sim_seed_ranges_are_disjoint() -> None:
    assert TRAIN_SEEDS_START == 0 and EVAL_SEEDS_START == 1_000_000
    assert not is_eval_seed(999_999) and is_eval_seed(EVAL_SEEDS_START)


def test_sim_idle_robot_does_not_succeed() -> None:
    env = make_env("franka-grasp", image_size=64)
    try:
        env.reset(seed=1)
        for _ in range(5):
            env.send_action([0.0] * 7)
        assert not env.is_success()
    finally:
        env.close()
