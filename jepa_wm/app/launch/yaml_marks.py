"""A YAML SafeLoader that remembers line numbers, so launch errors can name file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from jepa_wm.errors import LaunchError


class MarkedDict(dict):
    """A mapping from YAML; ``line`` is its 1-based line, ``key_lines[k]`` each key's line."""

    line: int = 0
    key_lines: dict[str, int]


class MarkedList(list):
    """A sequence from YAML; ``line`` is its 1-based line."""

    line: int = 0


class _MarkingLoader(yaml.SafeLoader):
    pass


def _mapping(loader: _MarkingLoader, node: yaml.MappingNode) -> MarkedDict:
    loader.flatten_mapping(node)
    out = MarkedDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _MarkingLoader, node: yaml.SequenceNode) -> MarkedList:
    out = MarkedList(loader.construct_object(n, deep=True) for n in node.value)
    out.line = node.start_mark.line + 1
    return out


_MarkingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_MarkingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_marked_yaml(path: str | Path) -> Any:
    """``yaml.safe_load`` of ``path`` with line numbers; LaunchError names file and line."""
    path = Path(path)
    if not path.is_file():
        raise LaunchError(f"{path}: launch file not found")
    try:
        return yaml.load(path.read_text(), Loader=_MarkingLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise LaunchError(f"{path}:{line}: invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise LaunchError(f"{path}: invalid YAML: {exc}") from None
