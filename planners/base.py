"""Shared machinery of the sampling and gradient planners.

Every planner evaluates all candidate sequences of an iteration in ONE rollout call, so the
world model sees one batch [N, H, A] per iteration (this is what makes KV-cached rollouts pay
off). Costs are [N]; NaN costs mark broken samples and are dropped from elite selection.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Iterator
from typing import Any

import torch

from planners.interfaces import CostFn, Goal, Planner, PlanResult, RolloutFn


@dataclasses.dataclass(frozen=True)
class PlannerConfig:
    """Options every planner shares.

    fixed_dims: action dimensions held at 0 (clipped into bounds), e.g. the rotation deltas of
        a Franka reach, as V-JEPA 2-AC's CEM does; they are never sampled.
    seed: seed of the planner's own random generator (None: nondeterministic).
    deadline_ms: anytime planning: a plan call starts another iteration only while it is
        expected (at the mean iteration time so far) to end within this many ms of the call's
        start, and returns its best plan so far otherwise; the first iteration always runs.
        None: every iteration runs. A loaded CPU then lowers plan quality instead of latency.
    deadline_chunks: under a deadline (``deadline_ms`` or the caller's ``deadline_at``), a
        sampling planner rolls an iteration's samples out in this many chunks and stops
        between chunks when the next one is expected to end past the deadline; the iteration
        then goes on with the samples it scored (the mean or warm start is in the first chunk,
        which always runs). One iteration of a loaded CPU can take the whole budget, so the
        deadline needs a finer grain than iterations. 1: checked between iterations only.
    """

    fixed_dims: tuple[int, ...] = ()
    seed: int | None = None
    deadline_ms: float | None = None
    deadline_chunks: int = 4

    def __post_init__(self) -> None:
        if any(int(d) < 0 for d in self.fixed_dims):
            raise ValueError(f"fixed_dims must be non-negative indices, got {self.fixed_dims}")
        if self.deadline_ms is not None and not self.deadline_ms > 0:
            raise ValueError(f"deadline_ms must be > 0 (or null for none), got {self.deadline_ms}")
        if self.deadline_chunks < 1:
            raise ValueError(f"deadline_chunks must be >= 1, got {self.deadline_chunks}")


@dataclasses.dataclass(frozen=True)
class SamplingConfig(PlannerConfig):
    """Options of the sampling planners: ``samples`` plans per iteration, ``iterations``."""

    samples: int = 200
    iterations: int = 3

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.samples < 1 or self.iterations < 1:
            raise ValueError("samples and iterations must be >= 1")


@dataclasses.dataclass(frozen=True)
class EliteConfig(SamplingConfig):
    """Elite-refit sampling planners (CEM, iCEM): ``topk`` elites refit a Gaussian whose
    init_std / min_std are fractions of the half action range."""

    topk: int = 20
    init_std: float = 0.5
    min_std: float = 0.02

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 1 <= self.topk <= self.samples:
            raise ValueError(f"topk must be in [1, samples={self.samples}], got {self.topk}")
        if self.init_std <= 0 or self.min_std < 0:
            raise ValueError("init_std must be > 0 and min_std >= 0")


class BasePlanner(Planner):
    """A planner with a frozen config, a private generator, bounds and the NaN policy."""

    Config: type[PlannerConfig] = PlannerConfig

    def __init__(
        self,
        rollout: RolloutFn,
        cost: CostFn,
        action_low: torch.Tensor,
        action_high: torch.Tensor,
        horizon: int,
        device: torch.device | str = "cpu",
        config: PlannerConfig | None = None,
    ) -> None:
        super().__init__(rollout, cost, action_low, action_high, horizon, device)
        self.config = config if config is not None else self.Config()
        if not isinstance(self.config, self.Config):
            raise TypeError(f"{type(self).__name__} needs a {self.Config.__name__}")
        if self.horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {self.horizon}")
        if bool((self.action_low > self.action_high).any()):
            raise ValueError("action_low must be <= action_high")
        bad = [d for d in self.config.fixed_dims if d >= self.action_dim]
        if bad:
            raise ValueError(f"fixed_dims {bad} out of range for action dim {self.action_dim}")
        # an absolute time.perf_counter() instant set by the caller for one plan() (a frame's
        # arrival + its budget); the earlier of it and config.deadline_ms applies
        self.deadline_at: float | None = None
        self._end: float | None = None  # the deadline of the plan() call running (iterations)
        self._out_of_time = False  # set by score() when it stopped an iteration part-way
        self.generator = torch.Generator(device=self.device)
        if self.config.seed is not None:
            self.generator.manual_seed(int(self.config.seed))
        else:
            self.generator.seed()
        self.free = torch.ones(self.action_dim, dtype=torch.bool, device=self.device)
        self.free[list(self.config.fixed_dims)] = False
        # the value a fixed dimension holds: 0, or the nearest bound when 0 is out of range
        self.fixed_value = torch.zeros(self.action_dim, device=self.device).clamp(
            self.action_low, self.action_high
        )

    @property
    def half_range(self) -> torch.Tensor:
        """[A] half the width of the action box (the natural sampling scale)."""
        return (self.action_high - self.action_low) / 2

    def project(self, actions: torch.Tensor) -> torch.Tensor:
        """Clip [..., A] into bounds and pin the fixed dimensions."""
        actions = torch.maximum(torch.minimum(actions, self.action_high), self.action_low)
        return torch.where(self.free, actions, self.fixed_value)

    def initial_mean(self, warm_start: torch.Tensor | None) -> torch.Tensor:
        """[H, A]: the warm start (projected) or the centre of the box (0 where allowed)."""
        if warm_start is None:
            return self.project(torch.zeros(self.horizon, self.action_dim, device=self.device))
        ws = torch.as_tensor(warm_start, dtype=torch.float32, device=self.device)
        if ws.shape != (self.horizon, self.action_dim):
            raise ValueError(
                f"warm_start has shape {tuple(ws.shape)}, expected {(self.horizon, self.action_dim)}"
            )
        return self.project(torch.nan_to_num(ws, nan=0.0))

    def iterations(self, n: int, info: dict[str, Any]) -> Iterator[int]:
        """``range(n)`` under ``config.deadline_ms`` (see PlannerConfig) and ``deadline_at``:
        stops before an iteration expected to end past the earlier of the two. Sets ``info["iterations_done"]`` and
        ``info["deadline_hit"]`` (True when iterations were skipped)."""
        t0 = time.perf_counter()
        ends = [self.deadline_at] if self.deadline_at is not None else []
        if self.config.deadline_ms is not None:
            ends.append(t0 + self.config.deadline_ms / 1e3)
        end = min(ends) if ends else None
        self._end, self._out_of_time = end, False
        info["deadline_hit"] = False
        for it in range(n):
            if self._out_of_time:  # score() stopped the last iteration part-way
                info["deadline_hit"] = True
                return
            if end is not None and it > 0:
                now = time.perf_counter()
                if now + (now - t0) / it > end:
                    info["deadline_hit"] = True
                    return
            info["iterations_done"] = it + 1
            yield it

    def randn(self, *shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=self.generator, device=self.device)

    def rand(self, *shape: int) -> torch.Tensor:
        return torch.rand(*shape, generator=self.generator, device=self.device)

    def evaluate(self, context: Any, goal: Goal, actions: torch.Tensor) -> torch.Tensor:
        """One batched rollout + cost: actions [N, H, A] -> costs [N] (float32, NaN kept)."""
        pred = self.rollout(context, actions)
        costs = torch.as_tensor(self.cost(pred, goal)).reshape(-1).float()
        if costs.shape[0] != actions.shape[0]:
            raise ValueError(f"cost returned {costs.shape[0]} values for {actions.shape[0]} plans")
        return costs.to(self.device)

    def score(
        self, context: Any, goal: Goal, samples: torch.Tensor, info: dict[str, Any]
    ) -> tuple[torch.Tensor, torch.Tensor, int]:
        """Project ``samples`` [N, H, A] into bounds and cost them: in one rollout call, or
        under a deadline in ``config.deadline_chunks`` calls until it is expected to pass.

        Returns (the projected samples scored [M, H, A], M <= N, their costs [M] with NaN/inf
        as +inf, number of such costs) and adds M to ``info["rollouts"]`` and the bad count to
        ``info["dropped_nan"]``. M < N (only under a deadline) ends the plan after this
        iteration, with ``info["deadline_hit"]``.
        """
        samples = self.project(samples)
        costs = self.evaluate_in_time(context, goal, samples)
        samples = samples[: costs.shape[0]]
        if self._out_of_time:
            info["deadline_hit"] = True
        costs, n_bad = drop_nan(costs)
        info["dropped_nan"] += n_bad
        info["rollouts"] += samples.shape[0]
        return samples, costs, n_bad

    def evaluate_in_time(self, context: Any, goal: Goal, samples: torch.Tensor) -> torch.Tensor:
        """Costs [M] of the first M of ``samples`` [N, H, A]: all N without a deadline or with
        ``deadline_chunks`` 1; else chunk by chunk (the first always), stopping before a chunk
        expected (at the mean chunk time so far) to end past the deadline, which marks the
        plan call out of time."""
        n, chunks = samples.shape[0], self.config.deadline_chunks
        if self._end is None or chunks == 1 or n < 2:
            return self.evaluate(context, goal, samples)
        costs: list[torch.Tensor] = []
        t0 = time.perf_counter()
        for i, chunk in enumerate(samples.split(-(-n // chunks))):
            now = time.perf_counter()
            if i > 0 and now + (now - t0) / i > self._end:
                self._out_of_time = True
                break
            costs.append(self.evaluate(context, goal, chunk))
        return torch.cat(costs)

    def all_nan_result(self, info: dict[str, Any]) -> PlanResult:
        """Every sample was NaN: command no motion and say so."""
        warnings.warn(
            f"{type(self).__name__}: every sampled plan had a NaN cost; returning zeros",
            RuntimeWarning,
            stacklevel=3,
        )
        info = {**info, "all_nan": True}
        zeros = self.project(torch.zeros(self.horizon, self.action_dim, device=self.device))
        return PlanResult(actions=zeros, cost=float("nan"), info=info)


def drop_nan(costs: torch.Tensor) -> tuple[torch.Tensor, int]:
    """NaN (and +-inf) costs become +inf so they never rank as elites; returns the count."""
    bad = ~torch.isfinite(costs)
    return torch.where(bad, torch.full_like(costs, float("inf")), costs), int(bad.sum())


def shift_plan(plan: torch.Tensor, steps: int, fill: str = "zeros") -> torch.Tensor:
    """Warm start for the next MPC step: drop the ``steps`` executed actions of ``plan`` [H, A]
    and pad the tail with zeros (``fill="zeros"``) or the last action (``fill="last"``)."""
    h = plan.shape[0]
    steps = max(0, min(int(steps), h))
    kept = plan[steps:]
    if fill == "last" and kept.shape[0] > 0:
        pad = kept[-1:].expand(steps, -1)
    elif fill in ("zeros", "last"):
        pad = torch.zeros(steps, plan.shape[1], dtype=plan.dtype, device=plan.device)
    else:
        raise ValueError(f"fill must be 'zeros' or 'last', got {fill!r}")
    return torch.cat([kept, pad], dim=0)
