"""The per-task policy files: one tuned ``PolicyConfig`` per task, in one place.

``jepa_wm/configs/policy/<env>.yaml`` (shipped as package data, so an installed ``jepa_wm``
finds them too) holds the tuned closed-loop config of each sim task, nested as PolicyConfig is
(``planner:``, ``cost:``, ``mpc:`` sections). Everything that plans with a task's policy reads it here:
``jepa-wm eval`` (:func:`load_policy_config` with ``env``), ``jepa-wm bench planner``
(its default budget) and the launch files' ``planner_node`` (its ``policy`` parameter, through
:func:`load_node_policy_config`). ``tests/app/test_app_policy_files.py`` fails when any two of
them disagree.

Layering (each later one overrides keys of the earlier; a ``planner:`` / ``cost:`` / ``mpc:``
section merges key by key, ``planner.options`` is replaced whole, and dropped when a later layer
names another planner)::

    PolicyConfig defaults <- the task's policy file <- an override file <- flags / parameters

Usage::

    cfg = load_policy_config(None, env="franka-grasp")                 # the tuned config
    cfg = load_policy_config("mine.yaml", "mppi", "franka-reach", horizon=2)
    policy_file("husky-nav")          # Path of jepa_wm/configs/policy/husky-nav.yaml
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jepa_wm.app.policy import PolicyConfig
from jepa_wm.config import from_dict, read_yaml
from jepa_wm.config_loader import merge
from jepa_wm.errors import ConfigError
from planners.registry import PlannerSpec

POLICY_DIR = Path(__file__).resolve().parents[1] / "configs" / "policy"


def policy_names() -> list[str]:
    """The tasks with a policy file (their env names)."""
    return sorted(p.stem for p in POLICY_DIR.glob("*.yaml"))


def policy_file(env: str) -> Path:
    """The policy file of task ``env``; ConfigError naming the known ones if it has none."""
    path = POLICY_DIR / f"{env}.yaml"
    if not path.is_file():
        raise ConfigError(
            f"{path}: no policy file for task {env!r} (known: {', '.join(policy_names())})"
        )
    return path


# The spellings before the planner became a section (issue #19), refused with the new one.
_OLD_SPELLING = (
    "old spelling; the planner is one section now: `planner: {name: cem, options: {samples: 100}}` "
    "replaces `planner: cem` and `planner_overrides: {samples: 100}`"
)


def _read_checked(path: str | Path) -> dict[str, Any]:
    """A policy YAML file's mapping, refused (naming this file) if it is no valid PolicyConfig
    on its own or uses the old flat ``planner: NAME`` / ``planner_overrides:`` spelling."""
    data = read_yaml(path)
    if isinstance(data.get("planner"), str):
        raise ConfigError(f"{path}: planner: {_OLD_SPELLING}")
    if "planner_overrides" in data:
        raise ConfigError(f"{path}: planner_overrides: {_OLD_SPELLING}")
    from_dict(PolicyConfig, data, where=str(path))
    return data


def _planner_name(data: Mapping[str, Any]) -> str:
    """The planner a (partial) policy mapping names: its ``planner.name``, else the default."""
    return str((data.get("planner") or {}).get("name", PlannerSpec.name))


def _layer(data: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with a later layer ``over`` on top: sections merge key by key, ``planner.options``
    is replaced whole, and a layer naming another planner first drops the options below it
    (they belong to that other planner)."""
    section = over.get("planner") or {}
    if "name" in section and section["name"] != _planner_name(data):
        below = {k: v for k, v in (data.get("planner") or {}).items() if k != "options"}
        data = {**data, "planner": below}
    return merge(PolicyConfig, data, over)


def load_policy_config(
    path: str | Path | None = None,
    planner: str | None = None,
    env: str | None = None,
    *,
    planner_options: Mapping[str, Any] | None = None,
    **overrides: Any,
) -> PolicyConfig:
    """PolicyConfig defaults <- the policy file of ``env`` <- the YAML file ``path`` <- the
    planner name ``planner``, the options ``planner_options`` (replacing the files' whole) and
    the top-level field ``overrides`` (None values ignored).

    A planner other than the files' drops their ``planner.options`` (options of another
    planner). The planner's name and options are checked against the registry here. Raises
    ConfigError naming the file and key of any unknown key or wrong type, an unknown planner
    or option, or the old ``planner: NAME`` / ``planner_overrides:`` spelling."""
    flags: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    section = {"name": planner, "options": planner_options}
    if planner is not None or planner_options is not None:
        flags["planner"] = {k: v for k, v in section.items() if v is not None}
    layers = [(str(policy_file(env)), _read_checked(policy_file(env)))] if env else []
    if path is not None:
        layers.append((str(path), _read_checked(path)))
    where = layers[-1][0] if layers else "planner config"
    data: dict[str, Any] = {}
    name_where = options_where = where
    for source, layer in [*layers, ("flags", flags)]:
        data = _layer(data, layer)
        # which layer each part of the planner section came from, for its error message
        name_where = source if "name" in (layer.get("planner") or {}) else name_where
        options_where = source if "options" in (layer.get("planner") or {}) else options_where
    cfg = from_dict(PolicyConfig, data, where=where)
    cfg.planner.config(where=name_where, options_where=options_where, error=ConfigError)
    return cfg


def load_node_policy_config(
    policy: str = "", planner_config: str = "", planner: str = "", goal: str = ""
) -> PolicyConfig:
    """What the ROS planner_node plans with, from its string parameters ('' = not set):
    ``policy`` a task's policy file, ``planner_config`` an override file over it, ``planner``
    a planner name, ``goal`` the goal mode (see :func:`load_policy_config`)."""
    return load_policy_config(
        planner_config or None, planner or None, policy or None, goal=goal or None
    )


def default_fixed_dims(action_names: Sequence[str], env_name: str) -> tuple[int, ...]:
    """Action dims pinned at 0 when a config's planner options do not say: the task's policy
    file's ``planner.options.fixed_dims`` (V-JEPA 2-AC's CEM fixed the rotation deltas), kept
    when another planner drops the file's options; () for a task without them or without a
    policy file."""
    if not (POLICY_DIR / f"{env_name}.yaml").is_file():
        return ()
    dims = load_policy_config(None, None, env_name).planner.options.get("fixed_dims") or ()
    return tuple(int(d) for d in dims if 0 <= int(d) < len(action_names))
