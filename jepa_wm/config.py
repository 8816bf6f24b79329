"""Typed configs: frozen dataclasses hold the defaults, YAML files only override them.

Unknown keys are an error that names the key and lists the valid ones; nothing is silently
dropped. Nothing is ever built from a string in YAML (no ``_target_``, no ``eval``).

Usage::

    cfg = load_config(TrainConfig, "override.yaml", overrides={"steps": 100})
    save_config(cfg, run_dir / "config.yaml")
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from jepa_wm.errors import ConfigError
from jepa_wm.safe_yaml import read_yaml_or_raise

T = TypeVar("T")


def from_dict(
    cls: type[T], data: Mapping[str, Any] | None, *, where: str = "config", keys: str = ""
) -> T:
    """Build dataclass ``cls`` from ``data``, recursing into nested dataclass fields.

    ``where`` names the source (a file path), ``keys`` the dotted key path of ``data`` inside
    it. Raises ConfigError "<where>: <key.path>: expected int, got True" on a wrong type, and
    "<where>: <key.path>: unknown key 'x'; valid keys: ..." on an unknown key.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    if data is not None and not isinstance(data, Mapping):
        raise ConfigError(f"{_at(where, keys)}: expected a mapping, got {_shown(data)}")
    data = dict(data or {})
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields), key=str)
    if unknown:
        raise ConfigError(
            f"{_at(where, keys)}: unknown key {unknown[0]!r}; valid keys: "
            f"{', '.join(sorted(fields))}"
        )
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _coerce(hints.get(name, Any), value, where=where, keys=_key(keys, name))
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{_at(where, keys)}: {exc}") from None


def _key(keys: str, name: str) -> str:
    return f"{keys}.{name}" if keys else str(name)


def _at(where: str, keys: str) -> str:
    return f"{where}: {keys}" if keys else where


def _shown(value: Any) -> str:
    """A YAML-ish rendering of a bad value: true, 'abc', a list of 3 items."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | Mapping):
        return f"a {type(value).__name__} of {len(value)} items"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _coerce(tp: Any, value: Any, *, where: str, keys: str) -> Any:
    """Convert YAML scalars/lists into the annotated type where that is unambiguous."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, where=where, keys=keys)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        if len(args) == 1:
            return _coerce(args[0], value, where=where, keys=keys)
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: {keys}: expected a list, got {_shown(value)}")
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(
                _coerce(args[0], v, where=where, keys=f"{keys}[{i}]") for i, v in enumerate(value)
            )
        return tuple(value)
    if origin is dict and not isinstance(value, Mapping):
        raise ConfigError(f"{where}: {keys}: expected a mapping, got {_shown(value)}")
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    # bool is an int in Python: `batch_size: true` must not pass as 1.
    wrong_bool = tp in (int, float) and isinstance(value, bool)
    if tp in (int, float, str, bool) and (wrong_bool or not isinstance(value, tp)):
        raise ConfigError(f"{where}: {keys}: expected {tp.__name__}, got {_shown(value)}")
    return value


def to_dict(cfg: Any) -> dict[str, Any]:
    """The resolved config as plain YAML/JSON-friendly data (tuples become lists)."""

    def plain(v: Any) -> Any:
        if dataclasses.is_dataclass(v):
            return {f.name: plain(getattr(v, f.name)) for f in dataclasses.fields(v)}
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return plain(cfg)


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
    data: dict[str, Any] = read_yaml(path) if path is not None else {}
    data.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return from_dict(cls, data, where=str(path) if path else cls.__name__)


def save_config(cfg: Any, path: str | Path) -> None:
    """Write the resolved config next to an artefact, so a run can be reproduced."""
    Path(path).write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
