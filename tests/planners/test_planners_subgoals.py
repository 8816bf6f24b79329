"""The one subgoal sequencer (planners.subgoals): energy and step rules, wall-clock timeouts and
the episode budget, as `jepa-wm eval` and the ROS task node both apply them."""

from __future__ import annotations

import pytest

from planners.subgoals import SubgoalBudget, SubgoalSequencer, even_share


class Clock:
    """A settable monotonic clock (s)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _walk(seq: SubgoalSequencer, energies: list[float]) -> list[int]:
    out = []
    for e in energies:
        seq.step(e)
        out.append(seq.index)
    return out


def test_switches_on_step_budget_and_holds_the_last() -> None:
    seq = SubgoalSequencer(["a", "b", "c"], SubgoalBudget(steps_per_subgoal=3))
    assert _walk(seq, [1.0] * 8) == [0, 0, 1, 1, 1, 2, 2, 2]
    assert seq.goal == "c" and seq.is_last and seq.episode_steps == 8
    seq.reset()
    assert seq.index == 0 and seq.episode_steps == 0


def test_switches_at_or_below_the_energy_threshold() -> None:
    seq = SubgoalSequencer([0, 1, 2], SubgoalBudget(switch_energy=0.5))
    assert _walk(seq, [0.9, 0.5, 0.7, 0.2, 0.0]) == [0, 1, 1, 2, 2]
    assert _walk(SubgoalSequencer([0, 1]), [0.0] * 3) == [0, 0, 0]  # no rule: never switches


def test_episode_budget_is_spent_only_on_the_last_subgoal() -> None:
    seq = SubgoalSequencer([0, 1], SubgoalBudget(steps_per_subgoal=4, max_steps=3))
    _walk(seq, [1.0] * 3)
    assert not seq.is_last and not seq.exhausted()  # 3 steps, still on the first subgoal
    _walk(seq, [1.0])
    assert seq.is_last and seq.exhausted()


def test_wall_clock_runs_from_the_first_step_toward_a_subgoal() -> None:
    clock = Clock()
    seq = SubgoalSequencer([0, 1], SubgoalBudget(timeout_s=10.0), clock)
    clock.now = 8.0
    seq.step(1.0)  # the first plan toward subgoal 0 restarts its clock
    clock.now = 17.0
    assert not seq.poll()
    clock.now = 18.5
    assert seq.poll() and seq.index == 1 and not seq.exhausted()
    clock.now = 29.0
    assert not seq.poll() and seq.exhausted()  # the last one: no advance, the episode ends


def test_bad_budgets_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one goal"):
        SubgoalSequencer([])
    with pytest.raises(ValueError, match="steps_per_subgoal"):
        SubgoalBudget(steps_per_subgoal=0)
    with pytest.raises(ValueError, match="max_steps"):
        SubgoalBudget(max_steps=0)


def test_even_share_leaves_one_share_for_the_last_subgoal() -> None:
    assert even_share(80, 3) == 20 and even_share(140, 4) == 28 and even_share(2, 3) == 1
