"""Latent energies: L1/L2, last step or summed, optional state term."""

from __future__ import annotations

import pytest
import torch

from planners.costs import CostConfig, make_cost
from planners.interfaces import Goal, Prediction


def _pred() -> Prediction:
    # 2 samples, 2 steps, 1 patch, 2 channels; sample 1 sits on the goal at the last step
    latents = torch.tensor([[[[1.0, 1.0]], [[2.0, 0.0]]], [[[3.0, 0.0]], [[0.0, 0.0]]]])
    states = torch.tensor([[[0.0], [1.0]], [[0.0], [4.0]]])
    return Prediction(latents=latents, states=states)


GOAL = Goal(latent=torch.zeros(1, 2), state=torch.zeros(1))


def test_l1_and_l2_on_last_step_and_summed() -> None:
    pred = _pred()
    assert make_cost(CostConfig("l1", "last"))(pred, GOAL).tolist() == [1.0, 0.0]
    assert make_cost(CostConfig("l2", "last"))(pred, GOAL).tolist() == [2.0, 0.0]
    assert make_cost(CostConfig("l1", "sum"))(pred, GOAL).tolist() == [2.0, 1.5]
    assert make_cost(CostConfig("l2", "sum"))(pred, GOAL).tolist() == [3.0, 4.5]


def test_state_term_weighted_and_scaled() -> None:
    pred = _pred()
    cost = make_cost(CostConfig("l1", "last", state_weight=0.5, state_scale=(2.0,)))
    assert cost(pred, GOAL).tolist() == [1.0 + 0.5 * 0.5, 0.0 + 0.5 * 2.0]
    # no goal state: the term is skipped, not an error
    assert make_cost(CostConfig(state_weight=1.0))(pred, Goal(latent=GOAL.latent)).tolist() == [
        1.0,
        0.0,
    ]


def test_bad_cost_config() -> None:
    with pytest.raises(ValueError, match="valid: l1, l2"):
        CostConfig(kind="huber")
    with pytest.raises(ValueError, match="valid: last, sum"):
        CostConfig(mode="mean")
