"""Typed configs: frozen dataclasses hold the defaults, YAML files only override them.

Unknown keys are an error that names the key and lists the valid ones; nothing is silently
dropped. Nothing is ever built from a string in YAML (no ``_target_``, no ``eval``).

Usage::

    cfg = load_config(TrainConfig, "override.yaml", overrides={"steps": 100})
    save_config(cfg, run_dir / "config.yaml")
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from jepa_wm.config_loader import build, to_plain
from jepa_wm.errors import ConfigError
from jepa_wm.safe_yaml import read_yaml_or_raise

T = TypeVar("T")


def from_dict(
    cls: type[T], data: Mapping[str, Any] | None, *, where: str = "config", keys: str = ""
) -> T:
    """Build dataclass ``cls`` from ``data``, recursing into nested dataclass fields (the one
    loader, ``jepa_wm.config_loader.build``, with ConfigError).

    ``where`` names the source (a file path), ``keys`` the dotted key path of ``data`` inside
    it. Raises ConfigError "<where>: <key.path>: expected int, got true" on a wrong type, and
    "<where>: <key.path>: unknown key 'x'; valid keys: ..." on an unknown key.
    """
    return build(cls, data, where=where, keys=keys, error=ConfigError)


def to_dict(cfg: Any) -> dict[str, Any]:
    """The resolved config as plain YAML/JSON-friendly data (tuples become lists)."""
    return to_plain(cfg)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping with the bounded safe loader; one-line errors naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    data = read_yaml_or_raise(path, ConfigError) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at top level")
    return data


def load_config(
    cls: type[T],
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> T:
    """Defaults from ``cls``, then the YAML file at ``path``, then ``overrides`` (shallow)."""
    data = config_data(path, overrides)
    return from_dict(cls, data, where=str(path) if path else cls.__name__)


def config_data(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The YAML mapping at ``path`` (empty without one) updated with ``overrides``, shallowly:
    an override replaces the file's whole key; a None override (an unset CLI flag) is skipped.

    Raises ConfigError naming the file when it is missing, invalid YAML or not a mapping."""
    data: dict[str, Any] = read_yaml(path) if path is not None else {}
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return data


def save_config(cfg: Any, path: str | Path) -> None:
    """Write the resolved config next to an artefact, so a run can be reproduced."""
    Path(path).write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
