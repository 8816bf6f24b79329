"""Planner registry: a name -> (planner class, frozen config) table, with validated overrides.

Usage::

    from planners.registry import make_planner, PLANNER_NAMES
    planner = make_planner("cem", rollout, cost, low, high, horizon=2, samples=400, topk=20)
    result = planner.plan(context, goal)

Unknown planner names or override keys raise ValueError listing the valid ones; values are
type-checked against the config dataclass and range-checked by its ``__post_init__``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

import torch

from planners.base import BasePlanner, PlannerConfig
from planners.cem import CEMPlanner
from planners.gradient import GradientPlanner
from planners.icem import ICEMPlanner
from planners.interfaces import CostFn, RolloutFn
from planners.mppi import MPPIPlanner
from planners.random_shooting import RandomShootingPlanner

PLANNERS: dict[str, type[BasePlanner]] = {
    "cem": CEMPlanner,
    "icem": ICEMPlanner,
    "mppi": MPPIPlanner,
    "gradient": GradientPlanner,
    "random": RandomShootingPlanner,
}
PLANNER_NAMES: tuple[str, ...] = tuple(PLANNERS)


def planner_class(name: str) -> type[BasePlanner]:
    """The planner class registered as ``name``; ValueError lists the valid names."""
    if name not in PLANNERS:
        raise ValueError(f"unknown planner {name!r}; valid planners: {', '.join(PLANNER_NAMES)}")
    return PLANNERS[name]


def _check_type(name: str, key: str, tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return None if value is None else _check_type(name, key, args[0], value)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ValueError(f"planner {name!r}: {key} must be a list, got {value!r}")
        inner = typing.get_args(tp)[0]
        return tuple(_check_type(name, key, inner, v) for v in value)
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if tp in (int, bool, str) and (
        not isinstance(value, tp) or (tp is int and isinstance(value, bool))
    ):
        raise ValueError(f"planner {name!r}: {key} must be {tp.__name__}, got {value!r}")
    return value


def planner_config(name: str, **overrides: Any) -> PlannerConfig:
    """The planner's default config with ``overrides`` applied and validated."""
    cls = planner_class(name).Config
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        raise ValueError(
            f"planner {name!r}: unknown option {unknown[0]!r}; valid options: "
            f"{', '.join(sorted(fields))}"
        )
    hints = typing.get_type_hints(cls)
    values = {k: _check_type(name, k, hints[k], v) for k, v in overrides.items()}
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"planner {name!r}: {exc}") from None


def make_planner(
    name: str,
    rollout: RolloutFn,
    cost: CostFn,
    action_low: torch.Tensor,
    action_high: torch.Tensor,
    horizon: int,
    device: torch.device | str = "cpu",
    **overrides: Any,
) -> BasePlanner:
    """Build planner ``name`` over the rollout/cost callables within ``[action_low, action_high]``
    ([A] each) for ``horizon`` steps; ``overrides`` set fields of its config dataclass."""
    config = planner_config(name, **overrides)
    return planner_class(name)(
        rollout, cost, action_low, action_high, horizon, device=device, config=config
    )
