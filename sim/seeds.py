"""Disjoint seed ranges: training data never shares a scene with evaluation.

Collection draws seeds ``TRAIN_SEEDS_START + i``; evaluation draws ``EVAL_SEEDS_START + i``.
A run would need a million training episodes before the ranges could meet.
"""

from __future__ import annotations

TRAIN_SEEDS_START = 0
EVAL_SEEDS_START = 1_000_000


def is_eval_seed(seed: int) -> bool:
    """True for seeds reserved for evaluation."""
    return seed >= EVAL_SEEDS_START
