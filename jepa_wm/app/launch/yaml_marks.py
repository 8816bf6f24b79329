"""A YAML SafeLoader that remembers line numbers, so launch errors can name file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from jepa_wm.errors import LaunchError
from jepa_wm.safe_yaml import BoundedSafeLoader, read_yaml_file, read_yaml_or_raise, yaml_error_line


class MarkedDict(dict):
    """A mapping from YAML; ``line`` is its 1-based line, ``key_lines[k]`` each key's line."""

    line: int = 0
    key_lines: dict[str, int]


class MarkedList(list):
    """A sequence from YAML; ``line`` is its 1-based line."""

    line: int = 0


class _MarkingLoader(BoundedSafeLoader):
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
    """The bounded safe load of ``path`` with line numbers; LaunchError names file and line."""
    path = Path(path)
    if not path.is_file():
        raise LaunchError(f"{path}: launch file not found")
    return read_yaml_or_raise(path, LaunchError, loader=_MarkingLoader)


def check_param_file(path: Path, where: str) -> None:
    """Parse a ROS parameter file with the bounded loader before a node's rcl parser sees it.

    rcl parses ``--params-file`` itself; an alias bomb there hangs the node, so it is refused
    here, naming the file, its line and the launch line that passes it (``where``).
    """
    try:
        data = read_yaml_file(path)
    except OSError as exc:
        raise LaunchError(f"{where}: parameter file {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        line, problem = yaml_error_line(exc)
        raise LaunchError(f"{path}:{line}: invalid parameter file ({where}): {problem}") from None
    if not isinstance(data, dict):
        raise LaunchError(f"{path}:1: invalid parameter file ({where}): expected a mapping")
