"""The per-task policy files: one tuned ``PolicyConfig`` per task, in one place.

``jepa_wm/configs/policy/<env>.yaml`` (shipped as package data, so an installed ``jepa_wm``
finds them too) holds the tuned closed-loop config of each sim task, nested as PolicyConfig is
(``cost:``, ``mpc:`` sections). Everything that plans with a task's policy reads it here:
``jepa-wm eval`` (:func:`load_policy_config` with ``env``), ``jepa-wm bench planner``
(its default budget) and the launch files' ``planner_node`` (its ``policy`` parameter, through
:func:`load_node_policy_config`). ``tests/app/test_app_policy_files.py`` fails when any two of
them disagree.

Layering (each later one overrides keys of the earlier; a ``cost:`` / ``mpc:`` section merges
key by key, ``planner_overrides`` is replaced whole)::

    PolicyConfig defaults <- the task's policy file <- an override file <- flags / parameters

Usage::

    cfg = load_policy_config(None, env="franka-grasp")                 # the tuned config
    cfg = load_policy_config("mine.yaml", "mppi", "franka-reach", horizon=2)
    policy_file("husky-nav")          # Path of jepa_wm/configs/policy/husky-nav.yaml
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jepa_wm.app.policy import PolicyConfig
from jepa_wm.config import from_dict, read_yaml
from jepa_wm.config_loader import merge
from jepa_wm.errors import ConfigError

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


def _read_checked(path: str | Path) -> dict[str, Any]:
    """A policy YAML file's mapping, refused (naming this file) if it is no valid PolicyConfig
    on its own."""
    data = read_yaml(path)
    from_dict(PolicyConfig, data, where=str(path))
    return data


def load_policy_config(
    path: str | Path | None = None,
    planner: str | None = None,
    env: str | None = None,
    **overrides: Any,
) -> PolicyConfig:
    """PolicyConfig defaults <- the policy file of ``env`` <- the YAML file ``path`` <-
    ``planner`` and the top-level field ``overrides`` (None values ignored).

    A planner other than the files' drops their ``planner_overrides`` (options of another
    planner). Raises ConfigError naming the file and key of any unknown key or wrong type."""
    data: dict[str, Any] = _read_checked(policy_file(env)) if env else {}
    if path is not None:
        data = merge(PolicyConfig, data, _read_checked(path))
    if planner is not None:
        if data.get("planner", PolicyConfig.planner) != planner:
            data["planner_overrides"] = {}  # the file's options belong to another planner
        data["planner"] = planner
    data.update({k: v for k, v in overrides.items() if v is not None})
    where = str(path) if path else str(policy_file(env)) if env else "planner config"
    return from_dict(PolicyConfig, data, where=where)


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
    file's ``fixed_dims`` (V-JEPA 2-AC's CEM fixed the rotation deltas), kept when another
    planner drops the file's options; () for a task without them or without a policy file."""
    if not (POLICY_DIR / f"{env_name}.yaml").is_file():
        return ()
    data = read_yaml(policy_file(env_name))
    dims = (data.get("planner_overrides") or {}).get("fixed_dims") or ()
    return tuple(int(d) for d in dims if 0 <= int(d) < len(action_names))
