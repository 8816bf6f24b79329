"""The one config loader: a (nested) frozen dataclass from a mapping, strictly.

Every layer builds its typed configs here: training and policy configs (``jepa_wm.config``),
planner options (``planners.registry``). It refuses unknown keys (listing the valid ones),
checks each value against the field's annotation (``bool`` never passes as ``int``; ``int``
widens to ``float``; lists become tuples), recurses into dataclass fields, and names the source
and the dotted key in a one-line error::

    cfg.yaml: batch_size: expected int, got true
    cfg.yaml: model.encoder: unknown key 'widht'; valid keys: depth, width
    planner 'cem': unknown option 'sampels'; valid options: ...

This module imports nothing from the project (``tests/test_layering.py`` checks it), so every
layer may use it; the caller passes its own error class.

Usage::

    cfg = build(TrainConfig, data, where="cfg.yaml", error=ConfigError)
    desc = build(ArmFile, data, where="panda.yaml", error=LimitsError, rules=Rules(finite=True))
    data = merge(TrainConfig, defaults, overrides)       # nested sections merged key by key
    plain = to_plain(cfg)                                # YAML/JSON-friendly dict
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Rules:
    """How a caller's errors read and what it refuses besides unknown keys and wrong types.

    noun: what a key is called ("key", "option"); wrong_type: the phrase for a wrong type,
    formatted with ``{type}`` (a name from ``type_names``, else the type's) and ``{value}``;
    finite: refuse NaN and infinite floats ("must be finite")."""

    noun: str = "key"
    wrong_type: str = "expected {type}, got {value}"
    type_names: tuple[tuple[str, str], ...] = ()
    finite: bool = False


DEFAULT_RULES = Rules()


@dataclasses.dataclass(frozen=True)
class _Ctx:
    where: str
    error: type[Exception]
    rules: Rules


def build(
    cls: type[T],
    data: Mapping[str, Any] | None,
    *,
    where: str = "config",
    keys: str = "",
    error: type[Exception] = ValueError,
    rules: Rules = DEFAULT_RULES,
) -> T:
    """Dataclass ``cls`` from ``data`` (None: all defaults), recursing into dataclass fields.

    ``where`` names the source (a file path), ``keys`` the dotted key path of ``data`` inside
    it. Raises ``error`` with a one-line message "<where>: <key.path>: ..." on an unknown or
    missing (no default) key, a value of the wrong type, or a value the dataclass's
    ``__post_init__`` refuses.
    """
    return _build(cls, data, keys, _Ctx(where, error, rules))


def _build(cls: Any, data: Any, keys: str, ctx: _Ctx) -> Any:
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    if data is not None and not isinstance(data, Mapping):
        raise ctx.error(f"{_at(ctx.where, keys)}: expected a mapping, got {shown(data)}")
    data = dict(data or {})
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields), key=str)
    noun = ctx.rules.noun
    if unknown:
        raise ctx.error(
            f"{_at(ctx.where, keys)}: unknown {noun} {unknown[0]!r}; valid {noun}s: "
            f"{', '.join(sorted(fields))}"
        )
    missing = [n for n, f in fields.items() if n not in data and _required(f)]
    if missing:
        raise ctx.error(f"{_at(ctx.where, keys)}: missing {noun} {missing[0]!r}")
    hints = typing.get_type_hints(cls)
    kwargs = {
        name: _coerce(hints.get(name, Any), v, _key(keys, name), ctx) for name, v in data.items()
    }
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ctx.error(f"{_at(ctx.where, keys)}: {exc}") from None


def _required(f: dataclasses.Field) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _key(keys: str, name: str) -> str:
    return f"{keys}.{name}" if keys else str(name)


def _at(where: str, keys: str) -> str:
    return f"{where}: {keys}" if keys else where


def shown(value: Any) -> str:
    """A YAML-ish rendering of a bad value: true, 'abc', a list of 3 items."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | Mapping):
        return f"a {type(value).__name__} of {len(value)} items"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _list_name(args: tuple[Any, ...], ctx: _Ctx) -> str:
    """The words for an expected list: the caller's name for a list of one type
    (``Rules.type_names``, e.g. "list of str"), else "a list"."""
    if len(args) == 2 and args[1] is Ellipsis and isinstance(args[0], type):
        return dict(ctx.rules.type_names).get(f"list of {args[0].__name__}", "a list")
    return "a list"


def _coerce(tp: Any, value: Any, keys: str, ctx: _Ctx) -> Any:
    """Convert YAML scalars/lists into the annotated type where that is unambiguous."""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, keys, ctx)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _coerce(args[0], value, keys, ctx) if len(args) == 1 else value
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, list | tuple):
            what = _list_name(args, ctx)
            raise ctx.error(f"{ctx.where}: {keys}: expected {what}, got {shown(value)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], v, f"{keys}[{i}]", ctx) for i, v in enumerate(value))
        if not args:
            return tuple(value)
        if len(args) != len(value):
            what = "numbers" if all(a in (int, float) for a in args) else "items"
            raise ctx.error(f"{ctx.where}: {keys}: expected {len(args)} {what}, got {shown(value)}")
        return tuple(
            _coerce(t, v, f"{keys}[{i}]", ctx)
            for i, (t, v) in enumerate(zip(args, value, strict=True))
        )
    if origin is dict and not isinstance(value, Mapping):
        raise ctx.error(f"{ctx.where}: {keys}: expected a mapping, got {shown(value)}")
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    # bool is an int in Python: `batch_size: true` must not pass as 1.
    wrong_bool = tp in (int, float) and isinstance(value, bool)
    if tp in (int, float, str, bool) and (wrong_bool or not isinstance(value, tp)):
        name = dict(ctx.rules.type_names).get(tp.__name__, tp.__name__)
        text = ctx.rules.wrong_type.format(type=name, value=shown(value))
        raise ctx.error(f"{ctx.where}: {keys}: {text}")
    if tp is float and ctx.rules.finite and not math.isfinite(value):
        raise ctx.error(f"{ctx.where}: {keys}: must be finite, got {value!r}")
    return value


def merge(cls: type, base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated with ``over``: a key holding a dataclass section of ``cls`` (a nested
    dataclass field) is merged key by key when both sides are mappings; every other key, a
    ``dict`` field included, is replaced whole."""
    out = dict(base)
    hints = typing.get_type_hints(cls) if dataclasses.is_dataclass(cls) else {}
    for key, value in over.items():
        tp = hints.get(key)
        old = out.get(key)
        if dataclasses.is_dataclass(tp) and isinstance(old, Mapping) and isinstance(value, Mapping):
            out[key] = merge(tp, old, value)
        else:
            out[key] = value
    return out


def to_plain(cfg: Any) -> Any:
    """A dataclass (or list/dict of them) as plain YAML/JSON-friendly data (tuples -> lists)."""
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        return {f.name: to_plain(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}
    if isinstance(cfg, list | tuple):
        return [to_plain(x) for x in cfg]
    if isinstance(cfg, dict):
        return {k: to_plain(x) for k, x in cfg.items()}
    return cfg
