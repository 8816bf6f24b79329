"""The one YAML loader of the product: ``yaml.SafeLoader`` with bounds on size, aliases and depth.

Every YAML file the stack reads goes through here: training and planner configs, bag topic maps,
launch files and their parameter files, robot descriptions. A safe loader alone runs no code, but
an alias bomb (a few lines of ``&a [*b, *b, ...]``) still expands into billions of nodes in
whatever walks the result, and a deep ``[[[[...]]]]`` overflows the stack. So a document is
refused, as a ``yaml.MarkedYAMLError`` with the line that crossed the bound, when it has

- more than ``MAX_BYTES`` bytes (read no further than that);
- more than ``MAX_ALIASES`` alias references (``*name``);
- more than ``MAX_NODES`` nodes once aliases are counted as copies;
- nesting deeper than ``MAX_DEPTH``.

The bounds are far above the project's own files (the largest has ~300 nodes, no aliases).

Usage::

    data = read_yaml_file("config.yaml")                    # OSError, yaml.YAMLError
    data = load_yaml_text(text, name="<-p value>")          # yaml.YAMLError

This module imports nothing from the project, so every layer (``hardware`` included) may use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1 << 20  # 1 MiB
MAX_ALIASES = 64
MAX_NODES = 100_000
MAX_DEPTH = 64


class YamlBoundsError(yaml.MarkedYAMLError):
    """A document over one of the bounds; ``problem`` says which, ``problem_mark`` where."""


class BoundedSafeLoader(yaml.SafeLoader):
    """SafeLoader that counts aliases, expanded nodes and depth while composing the node tree."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) -> nodes under it, aliases expanded

    def _refuse(self, problem: str) -> YamlBoundsError:
        return YamlBoundsError(problem=problem, problem_mark=self.peek_event().start_mark)

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise self._refuse(f"more than {MAX_ALIASES} aliases (refused: alias bomb?)")
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise self._refuse(f"nested deeper than {MAX_DEPTH} levels")
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._sizes[id(node)] = size = 1 + sum(self._sizes.get(id(c), 1) for c in _children(node))
        if size > MAX_NODES:
            raise YamlBoundsError(
                problem=f"more than {MAX_NODES} nodes once aliases are expanded (alias bomb?)",
                problem_mark=node.start_mark,
            )
        return node


def _children(node: Any) -> list[Any]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def load_yaml_text(text: str, *, loader: type[BoundedSafeLoader] = BoundedSafeLoader) -> Any:
    """Parse one YAML document with the bounds above; raises yaml.YAMLError."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise yaml.YAMLError(f"document larger than {MAX_BYTES} bytes (refused)")
    return yaml.load(text, Loader=loader)  # a SafeLoader subclass


def read_yaml_file(path: str | Path, *, loader: type[BoundedSafeLoader] = BoundedSafeLoader) -> Any:
    """Read and parse ``path`` (at most MAX_BYTES); raises OSError or yaml.YAMLError."""
    with open(path, "rb") as f:
        raw = f.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise yaml.YAMLError(f"file larger than {MAX_BYTES} bytes (refused)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise yaml.YAMLError(f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    return load_yaml_text(text, loader=loader)


def yaml_error_line(exc: yaml.YAMLError) -> tuple[int, str]:
    """(1-based line or 0, one-line problem) of a YAML error, for 'file:line: problem'."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        return (mark.line + 1 if mark else 0), problem
    return 0, " ".join(str(exc).split())


def read_yaml_or_raise(
    path: str | Path,
    error: type[Exception],
    *,
    loader: type[BoundedSafeLoader] = BoundedSafeLoader,
) -> Any:
    """``read_yaml_file`` with one-line errors of type ``error``: ``FILE: cannot read: why`` or
    ``FILE:LINE: invalid YAML: problem`` (no line when the error has none)."""
    try:
        return read_yaml_file(path, loader=loader)
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        line, problem = yaml_error_line(exc)
        where = f"{path}:{line}" if line else f"{path}"
        raise error(f"{where}: invalid YAML: {problem}") from None
