"""Planner registry: a name -> (planner class, frozen config) table, with validated overrides.

Usage::

    from planners.registry import make_planner, PLANNER_NAMES
    planner = make_planner("cem", rollout, cost, low, high, horizon=2, samples=400, topk=20)
    result = planner.plan(context, goal)
    spec = PlannerSpec("cem", {"samples": 400})    # a config file's ``planner:`` section
    spec.config(where="policy.yaml")                # its options checked by the same rules

Unknown planner names or override keys raise ValueError listing the valid ones; values are
type-checked against the config dataclass and range-checked by its ``__post_init__``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

# the one config loader: a leaf module any layer may import (tests/test_layering.py)
from jepa_wm.config_loader import Rules, build
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


# Planner options keep their own wording ("option", "must be int") in the loader's errors.
_RULES = Rules(noun="option", wrong_type="must be {type}, got {value}")


def planner_config(name: str, **overrides: Any) -> PlannerConfig:
    """The planner's default config with ``overrides`` applied and validated (the one config
    loader, ``jepa_wm.config_loader.build``); ValueError "planner 'cem': ..." on a bad one."""
    cls = planner_class(name).Config
    return build(cls, overrides, where=f"planner {name!r}", error=ValueError, rules=_RULES)


@dataclasses.dataclass(frozen=True)
class PlannerSpec:
    """Which registered planner plans, and its options: a config file's ``planner:`` section
    (``jepa_wm.app.policy.PolicyConfig.planner``).

    name: a registry name (PLANNER_NAMES); options: fields of that planner's config dataclass
    (budget, fixed_dims, seed, deadline_ms), checked by :meth:`config` or when
    :func:`make_planner` builds the planner. The options belong to the named planner: a config
    layer that names another planner drops the options of the layers below it."""

    name: str = "cem"
    options: dict[str, Any] = dataclasses.field(default_factory=dict)

    def config(
        self,
        *,
        where: str,
        keys: str = "planner",
        options_where: str | None = None,
        error: type[Exception] = ValueError,
    ) -> PlannerConfig:
        """The named planner's config with these options, validated as :func:`make_planner`
        would. Raises ``error`` in one line naming the source and key: "<where>: planner.name:
        unknown planner 'x'; valid planners: ..." or "<options_where>: planner.options: unknown
        option 'y'; valid options: ..." (``options_where``: the source of the options, default
        ``where``; ``keys``: where this section sits in it)."""
        try:
            cls = planner_class(self.name).Config
        except ValueError as exc:
            raise error(f"{where}: {keys}.name: {exc}") from None
        return build(
            cls,
            self.options,
            where=options_where or where,
            keys=f"{keys}.options",
            error=error,
            rules=_RULES,
        )


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
