"""Typed values as upstream ROS 2 launch (launch 3.7 / launch_ros 0.28) resolves them.

Three rules, each checked against the upstream stack by ``tests/launch/test_launch_conformance.py``:

- **Parameter values** (``param: {name, value}``): a YAML string without substitutions stays
  that exact string (``"x: y"``, ``"yes"``, ``"010"``, ``"'5'"``); a string with substitutions is
  read as YAML once substituted (``"$(var seed)"`` -> int); numbers and booleans stay as YAML
  typed them; a list must be uniform (``[1, 2.5]`` is refused, as upstream does); a mapping is
  refused.
- **Command lines** (``args``, ``ros_args``): literal text is split like a shell; a
  substitution's result is never split (``--x $(var two)`` with ``two:="a b"`` gives two
  arguments, ``--x`` and ``a b``).
- **Booleans** (``respawn``): YAML booleans of the substituted text, with ``1``/``0``.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from jepa_wm.app.launch.substitutions import (
    SubstitutionError,
    split_substitutions,
    substitute,
    substitute_piece,
)
from jepa_wm.safe_yaml import load_yaml_text

ParamValue = bool | int | float | str | list
_SCALARS = (bool, int, float, str)


def _uniform(items: list[Any], strings_ok: bool) -> bool:
    """Upstream's ``is_instance_of_valid_type``: one scalar type (strings mixed in if allowed)."""
    member = next((type(x) for x in items if type(x) is not str), str)
    if member not in _SCALARS:
        return False
    valid = (member, str) if strings_ok else member
    return all(isinstance(x, valid) for x in items)


def _from_yaml(text: str, name: str) -> ParamValue:
    """A substituted parameter value read as YAML; '' stays ''."""
    if not text:
        return text
    try:
        value = load_yaml_text(text)
    except yaml.YAMLError:
        raise SubstitutionError(f"parameter {name!r}: {text!r} is not valid YAML") from None
    if isinstance(value, list) and _uniform(value, strings_ok=False):
        return value
    if isinstance(value, _SCALARS):
        return value
    raise SubstitutionError(
        f"parameter {name!r}: {text!r} reads as {type(value).__name__}; "
        "expected a scalar or a uniform list"
    )


def param_value(value: Any, name: str, configs: Mapping[str, str], launch_file: Path) -> ParamValue:
    """The typed value a node receives for ``param: {name, value}``.

    Raises SubstitutionError (one line) for a mapping, an empty value, a non-uniform list or a
    substituted text that YAML does not read as a scalar or a uniform list.
    """
    if isinstance(value, str):
        pieces = split_substitutions(value)
        if not any(is_sub for is_sub, _ in pieces):
            return value
        return _from_yaml(substitute(value, configs, launch_file), name)
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, list):
        if not _uniform(value, strings_ok=True):
            raise SubstitutionError(f"parameter {name!r}: the list {value!r} is not uniform")
        kinds = {type(v) for v in value if not _has_sub(v)}
        if len(kinds) > 1:
            raise SubstitutionError(f"parameter {name!r}: the list {value!r} is not uniform")
        out = [
            _from_yaml(substitute(v, configs, launch_file), name) if _has_sub(v) else v
            for v in value
        ]
        if not _uniform(out, strings_ok=False):
            raise SubstitutionError(f"parameter {name!r}: the list {out!r} is not uniform")
        return out
    kind = "empty" if value is None else type(value).__name__
    raise SubstitutionError(
        f"parameter {name!r}: a {kind} value is not a parameter value "
        "(expected a scalar or a uniform list)"
    )


def _has_sub(v: Any) -> bool:
    return isinstance(v, str) and any(is_sub for is_sub, _ in split_substitutions(v))


def split_cmdline(text: str, configs: Mapping[str, str], launch_file: Path) -> list[str]:
    """``args``/``ros_args`` text as argv items, split the way upstream's ``_parse_cmdline`` is.

    Whitespace in literal text separates arguments; a substitution's result joins the argument
    it touches and is never split.
    """
    result: list[str] = []
    arg: list[str] = []

    def flush() -> None:
        nonlocal arg
        result.append("".join(arg))
        arg = []

    for is_sub, piece in split_substitutions(text):
        if is_sub:
            arg.append(substitute_piece(piece, configs, launch_file))
            continue
        tokens = shlex.split(piece)
        if not tokens:
            flush()
            continue
        if piece[0].isspace() and arg:
            flush()
        arg.append(tokens[0])
        if len(tokens) > 1:
            flush()
            arg.append(tokens[-1])
        if len(tokens) > 2:
            result[len(result) :] = tokens[1:-1]
        if piece[-1].isspace():
            flush()
    if arg:
        result.append("".join(arg))
    return result


def yaml_bool(text: str) -> bool | None:
    """``respawn``-style boolean text: YAML true/false/yes/no/on/off and 1/0; None otherwise."""
    text = {"1": "true", "0": "false"}.get(text, text)
    try:
        value = load_yaml_text(text) if text else None
    except yaml.YAMLError:
        return None
    return value if isinstance(value, bool) else None
