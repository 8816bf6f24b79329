"""Disjoint seed ranges: training data never shares a scene with evaluation.

Collection draws seeds ``TRAIN_SEEDS_START + i``; evaluation draws ``EVAL_SEEDS_START + i``.
A run would need a million training episodes before the ranges could meet.
"""

from __future__ import annotations

import numpy as np

TRAIN_SEEDS_START = 0
EVAL_SEEDS_START = 1_000_000


def is_eval_seed(seed: int) -> bool:
    """True for seeds reserved for evaluation."""
    return seed >= EVAL_SEEDS_START


def policy_seed(episode_seed: int) -> int:
    """A scripted policy's noise seed for an episode, decorrelated from the scene seed.

    Shared by ``jepa-wm collect`` and sim_node's scripted drivers, so an episode recorded
    through ROS 2 replays the same actions as one collected directly.
    """
    return int(np.random.SeedSequence([episode_seed, 7]).generate_state(1)[0])
