"""The one subgoal sequencer: when to advance to the next subgoal, when the episode is spent.

Grasp tasks are a sequence of subgoals (pre-grasp, grasp, lift: how V-JEPA 2-AC did
pick-and-place). ``jepa-wm eval`` (through ``jepa_wm.app.policy.WorldModelPolicy``) and the ROS
``task_node`` both walk them with this class, so a rule changed here changes both.

A *step* is one plan toward the active subgoal, reported with the energy of the observation it
planned from to that subgoal. The policy calls ``step`` before planning each control step;
the task node calls it on each plan the planner node reports for the subgoal it published.
Rules (``SubgoalBudget``):

- advance when the energy is <= ``switch_energy``, or when ``steps_per_subgoal`` steps have been
  counted on the subgoal (the step that switched counts on the new subgoal's clock, not its
  budget), or, polled, when ``timeout_s`` of wall clock passed since the first step toward it;
- the last subgoal is held once reached; the episode is spent when the last subgoal is active
  and ``max_steps`` steps were taken in the episode, or its ``timeout_s`` passed.

Usage::

    seq = SubgoalSequencer([pre_grasp, grasp, lift], SubgoalBudget(steps_per_subgoal=20))
    if seq.step(energy):            # advanced: plan toward seq.goal from now on
        ...
    seq.exhausted()                 # the episode's budget is spent
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class SubgoalBudget:
    """When a subgoal ends. switch_energy: advance at an energy <= this (None: never);
    steps_per_subgoal: steps per subgoal before the next (None: no step budget); max_steps:
    steps in the episode before it is spent (None: no cap); timeout_s: seconds of wall clock
    per subgoal from its first step (None: no clock)."""

    switch_energy: float | None = None
    steps_per_subgoal: int | None = None
    max_steps: int | None = None
    timeout_s: float | None = None

    def __post_init__(self) -> None:
        if self.steps_per_subgoal is not None and self.steps_per_subgoal < 1:
            raise ValueError("steps_per_subgoal must be >= 1")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError("max_steps must be >= 1")


def even_share(max_steps: int, subgoals: int) -> int:
    """Steps per subgoal when no switching rule is given: an equal share of an episode of
    ``max_steps`` steps per subgoal, with one share left over for the last (80, 3 -> 20)."""
    return max(1, int(max_steps) // (int(subgoals) + 1))


class SubgoalSequencer(Generic[T]):
    """Walks ``goals`` (any items: encoded goals, images) under a ``SubgoalBudget``.

    ``clock`` gives seconds (monotonic); only ``budget.timeout_s`` reads it. Raises ValueError
    for an empty goal list."""

    def __init__(
        self,
        goals: Sequence[T],
        budget: SubgoalBudget | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if len(goals) == 0:
            raise ValueError("a subgoal sequence needs at least one goal")
        self.goals = list(goals)
        self.budget = budget or SubgoalBudget()
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        """New episode: back to the first subgoal, no steps taken."""
        self.index = 0
        self.episode_steps = 0
        self._begin_subgoal()

    def _begin_subgoal(self) -> None:
        self.steps_on_goal = 0
        self.started_at = self.clock()
        self._stepped = False  # the subgoal's clock restarts at its first step

    @property
    def goal(self) -> T:
        """The active subgoal."""
        return self.goals[self.index]

    @property
    def is_last(self) -> bool:
        return self.index == len(self.goals) - 1

    def _timed_out(self) -> bool:
        limit = self.budget.timeout_s
        return limit is not None and self.clock() - self.started_at > limit

    def _advance(self) -> bool:
        self.index += 1
        self._begin_subgoal()
        return True

    def step(self, energy: float) -> bool:
        """Count one step toward the active subgoal at ``energy`` (the current observation's
        energy to it); advance if due. True if it advanced to the next subgoal."""
        if not self._stepped:
            self._stepped, self.started_at = True, self.clock()
        self.episode_steps += 1
        if self.is_last:
            self.steps_on_goal += 1
            return False
        b = self.budget
        reached = b.switch_energy is not None and energy <= b.switch_energy
        spent = b.steps_per_subgoal is not None and self.steps_on_goal + 1 >= b.steps_per_subgoal
        if reached or spent:
            return self._advance()
        self.steps_on_goal += 1
        return False

    def poll(self) -> bool:
        """Advance a subgoal (not the last) whose wall-clock time is up. True if it advanced."""
        return not self.is_last and self._timed_out() and self._advance()

    def exhausted(self) -> bool:
        """The episode's budget is spent: the last subgoal is active and ``max_steps`` steps
        were taken in the episode, or its wall-clock time is up."""
        cap = self.budget.max_steps
        return self.is_last and (
            (cap is not None and self.episode_steps >= cap) or self._timed_out()
        )
