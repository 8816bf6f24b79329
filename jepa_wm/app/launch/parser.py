"""Parse the subset of the ROS 2 YAML launch format this project uses into ``NodeSpec`` lists.

Supported (same meaning as ``ros2 launch``, so one file serves both):

- ``launch:`` a list of actions;
- ``arg: {name, default, description}``; ``let: {name, value}``;
- ``node: {pkg, exec, name, namespace, param, remap, output, on_exit: shutdown, args, ros_args,
  respawn, env, if, unless, sigterm_timeout, sigkill_timeout}``; ``param`` entries are
  ``{name, value}`` or ``{from: params.yaml}``, applied in file order (a later entry wins);
  ``remap`` entries are ``{from, to}``;
- ``include: {file, arg: [{name, value}], if, unless}`` (YAML launch files only; a relative
  ``file`` is relative to the working directory, as upstream: use ``$(dirname)/...``);
- ``group:`` a list of actions, or ``{children, scoped, if, unless}``;
- ``push_ros_namespace: {namespace}`` (scoped to the enclosing group or file);
- substitutions: see ``substitutions.py``; typed values and argument splitting: ``values.py``.

Upstream's attribute types hold: text attributes (``if``, ``respawn``, ``default``, ...) must be
YAML strings (``if: true`` is refused, ``if: "true"`` is not), ``if`` and ``unless`` exclude each
other, timeouts are YAML floats (``5.0``: upstream refuses ``5`` and fails on ``"5.0"``). Any other tag or attribute is a ``LaunchError`` naming the file, line
and tag: a typo never goes unnoticed. Launch arguments given on the command line must be
declared by some ``arg``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jepa_wm.app.launch.substitutions import SubstitutionError, substitute
from jepa_wm.app.launch.values import ParamValue, param_value, split_cmdline, yaml_bool
from jepa_wm.app.launch.yaml_marks import (
    MarkedDict,
    MarkedList,
    check_param_file,
    load_marked_yaml,
)
from jepa_wm.errors import LaunchError


@dataclass(frozen=True)
class ParamItem:
    """One ``param`` entry, in file order: a parameter file, or one name with its typed value."""

    file: str = ""
    name: str = ""
    value: ParamValue = ""


@dataclass(frozen=True)
class NodeSpec:
    """One node to start; ``parameters`` keep the file's order, which decides who wins."""

    pkg: str
    exec: str
    name: str = ""
    namespace: str = ""
    parameters: tuple[ParamItem, ...] = ()
    remaps: tuple[tuple[str, str], ...] = ()
    args: tuple[str, ...] = ()
    ros_args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    output: str = "screen"
    required: bool = False
    respawn: bool = False
    sigterm_timeout: float = 5.0
    sigkill_timeout: float = 5.0
    source: str = ""  # "file:line" of the node tag, for messages

    @property
    def label(self) -> str:
        return self.name or self.exec

    @property
    def params(self) -> tuple[tuple[str, ParamValue], ...]:
        """The ``{name, value}`` entries as ``(name, typed value)``, in order."""
        return tuple((p.name, p.value) for p in self.parameters if not p.file)

    @property
    def param_files(self) -> tuple[str, ...]:
        """The ``{from: FILE}`` entries, in order."""
        return tuple(p.file for p in self.parameters if p.file)


@dataclass
class LaunchPlan:
    nodes: list[NodeSpec] = field(default_factory=list)
    declared: dict[str, str | None] = field(default_factory=dict)  # arg name -> default


@dataclass
class _Scope:
    file: Path
    configs: dict[str, str]
    namespace: str = ""
    includes: tuple[tuple[Path, int], ...] = ()  # (file, line) of each include leading here

    def child(self, file: Path | None = None) -> _Scope:
        return _Scope(file or self.file, dict(self.configs), self.namespace, self.includes)


MAX_INCLUDE_DEPTH = 16  # nested include files; upstream launch has no limit and recurses


def _include_chain(sites: tuple[tuple[Path, int], ...], target: Path) -> str:
    return " -> ".join([*(f"{f}:{line}" for f, line in sites), str(target)])


_ATTRS = {
    "arg": {"name", "default", "description"},
    "let": {"name", "value"},
    "node": {
        "pkg",
        "exec",
        "name",
        "namespace",
        "param",
        "remap",
        "output",
        "on_exit",
        "args",
        "ros_args",
        "respawn",
        "env",
        "if",
        "unless",
        "sigterm_timeout",
        "sigkill_timeout",
    },
    "include": {"file", "arg", "if", "unless"},
    "group": {"children", "scoped", "if", "unless"},
    "push_ros_namespace": {"namespace"},
}
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


def parse_launch_file(path: str | Path, cli_args: dict[str, str] | None = None) -> LaunchPlan:
    """Resolve ``path`` with ``name:=value`` arguments into the nodes to start."""
    path = Path(path)
    cli_args = dict(cli_args or {})
    plan = LaunchPlan()
    _parse_file(path, _Scope(path, dict(cli_args)), plan, where=str(path))
    unknown = sorted(set(cli_args) - set(plan.declared))
    if unknown:
        declared = ", ".join(sorted(plan.declared)) or "none"
        raise LaunchError(
            f"{path}: launch argument {unknown[0]!r} is not declared (declared: {declared})"
        )
    return plan


def _parse_file(path: Path, scope: _Scope, plan: LaunchPlan, where: str) -> None:
    data = load_marked_yaml(path) if path.is_file() else None
    if data is None:
        raise LaunchError(f"{where}: launch file {path} not found")
    if not isinstance(data, MarkedDict) or set(data) != {"launch"}:
        raise LaunchError(
            f"{path}:{getattr(data, 'line', 1)}: expected a mapping with one key 'launch'"
        )
    _parse_actions(data["launch"], scope, plan, line=data.key_lines["launch"])


def _err(scope: _Scope, line: int, msg: str) -> LaunchError:
    return LaunchError(f"{scope.file}:{line}: {msg}")


def _parse_actions(actions: Any, scope: _Scope, plan: LaunchPlan, line: int) -> None:
    if not isinstance(actions, list):
        raise _err(scope, line, f"expected a list of actions, got {type(actions).__name__}")
    for entry in actions:
        eline = getattr(entry, "line", line)
        if not isinstance(entry, MarkedDict) or len(entry) != 1:
            raise _err(scope, eline, "each action must be a mapping with exactly one tag")
        tag, body = next(iter(entry.items()))
        handler = _HANDLERS.get(tag.replace("-", "_") if isinstance(tag, str) else tag)
        if handler is None:
            raise _err(
                scope, eline, f"unknown tag {tag!r} (supported: {', '.join(sorted(_HANDLERS))})"
            )
        if tag != "group" or not isinstance(body, list):
            _check_attrs(tag, body, scope, eline)
        try:
            handler(body, scope, plan, eline)
        except SubstitutionError as exc:
            raise _err(scope, eline, f"{tag}: {exc}") from None


def _check_attrs(tag: str, body: Any, scope: _Scope, line: int) -> None:
    if not isinstance(body, MarkedDict):
        raise _err(scope, line, f"{tag}: expected a mapping of attributes")
    for key in body:
        if key not in _ATTRS[tag.replace("-", "_")]:
            valid = ", ".join(sorted(_ATTRS[tag.replace("-", "_")]))
            raise _err(
                scope,
                body.key_lines.get(key, line),
                f"{tag}: unknown attribute {key!r} (valid: {valid})",
            )


def _text(value: Any, scope: _Scope, what: str = "attribute") -> str:
    """A text attribute, substitutions expanded; upstream refuses YAML numbers and booleans."""
    if not isinstance(value, str):
        raise SubstitutionError(
            f"{what}: expected a string, got {type(value).__name__} {value!r} (quote it: '{value}')"
        )
    return substitute(value, scope.configs, scope.file)


def _require(body: MarkedDict, key: str, tag: str, scope: _Scope, line: int) -> str:
    if key not in body:
        raise _err(scope, line, f"{tag}: missing attribute {key!r}")
    return _text(body[key], scope, f"{tag}.{key}")


def _flag(value: Any, scope: _Scope, line: int, what: str, allow_bool: bool = False) -> bool:
    """A condition: ``true``/``false``/``1``/``0`` in any case (upstream's IfCondition).

    Only ``group.scoped`` is bool-typed upstream; ``if``/``unless`` must be YAML strings."""
    if allow_bool and isinstance(value, bool):
        return value
    text = _text(value, scope, what).lower()
    if text.strip() in _TRUE or text.strip() in _FALSE:
        return text.strip() in _TRUE
    raise _err(scope, line, f"{what}: expected true/false/1/0, got {text!r}")


def _float(value: Any, scope: _Scope, line: int, what: str) -> float:
    """A timeout: a YAML float. Upstream refuses a YAML int (``5``) and fails on a text."""
    if isinstance(value, float):
        return value
    raise _err(scope, line, f"node.{what}: expected a float such as 5.0, got {value!r}")


def _enabled(body: Any, scope: _Scope, line: int, tag: str) -> bool:
    if not isinstance(body, MarkedDict):
        return True
    if "if" in body and "unless" in body:
        raise _err(scope, line, f"{tag}: 'if' and 'unless' cannot be used together")
    if "if" in body and not _flag(body["if"], scope, line, f"{tag}.if"):
        return False
    return not ("unless" in body and _flag(body["unless"], scope, line, f"{tag}.unless"))


def _arg(body: MarkedDict, scope: _Scope, plan: LaunchPlan, line: int) -> None:
    name = _require(body, "name", "arg", scope, line)
    default = _text(body["default"], scope, "arg.default") if "default" in body else None
    plan.declared.setdefault(name, default)
    if name not in scope.configs:
        if default is None:
            raise _err(
                scope,
                line,
                f"launch argument {name!r} is required (no default); pass {name}:=VALUE",
            )
        scope.configs[name] = default


def _let(body: MarkedDict, scope: _Scope, plan: LaunchPlan, line: int) -> None:
    scope.configs[_require(body, "name", "let", scope, line)] = _require(
        body, "value", "let", scope, line
    )


def _join_ns(base: str, ns: str) -> str:
    ns = ns.strip()
    if not ns:
        return base
    if ns.startswith("/"):
        return ns.rstrip("/") or "/"
    return f"{base.rstrip('/')}/{ns}".rstrip("/") if base else f"/{ns}".rstrip("/")


def _push_ros_namespace(body: MarkedDict, scope: _Scope, plan: LaunchPlan, line: int) -> None:
    scope.namespace = _join_ns(
        scope.namespace, _require(body, "namespace", "push_ros_namespace", scope, line)
    )


def _group(body: Any, scope: _Scope, plan: LaunchPlan, line: int) -> None:
    if isinstance(body, MarkedDict):
        if not _enabled(body, scope, line, "group"):
            return
        scoped = _flag(body.get("scoped", True), scope, line, "group.scoped", allow_bool=True)
        children = body.get("children", MarkedList())
    else:
        scoped, children = True, body
    _parse_actions(children, scope.child() if scoped else scope, plan, line)


def _include(body: MarkedDict, scope: _Scope, plan: LaunchPlan, line: int) -> None:
    if not _enabled(body, scope, line, "include"):
        return
    # Upstream opens a relative path against the working directory, not the including file.
    target = Path(os.path.abspath(_require(body, "file", "include", scope, line)))
    if not target.name.endswith((".yaml", ".yml")):
        raise _err(scope, line, f"include {target}: only YAML launch files can be included here")
    sites = (*scope.includes, (scope.file, line))
    if target.resolve() in {f.resolve() for f, _ in sites}:
        raise LaunchError(f"{target}: include cycle: {_include_chain(sites, target)}")
    if len(sites) > MAX_INCLUDE_DEPTH:
        raise LaunchError(
            f"{scope.file}:{line}: includes nested deeper than {MAX_INCLUDE_DEPTH} files: "
            f"{_include_chain(sites, target)}"
        )
    child = scope.child(target)
    child.includes = sites
    for item in _entities(body.get("arg", MarkedList()), "include.arg", scope, line):
        child.configs[_require(item, "name", "include.arg", scope, item.line)] = _require(
            item, "value", "include.arg", scope, item.line
        )
    _parse_file(target, child, plan, where=f"{scope.file}:{line}")


def _entities(items: Any, what: str, scope: _Scope, line: int) -> list[MarkedDict]:
    if not isinstance(items, list) or not all(isinstance(i, MarkedDict) for i in items):
        raise _err(scope, line, f"{what}: expected a list of mappings")
    return list(items)


def _parameters(body: MarkedDict, scope: _Scope, line: int) -> tuple[ParamItem, ...]:
    items = []
    for p in _entities(body.get("param", MarkedList()), "node.param", scope, line):
        if "from" in p and len(p) == 1:
            f = Path(_text(p["from"], scope, "node.param.from"))
            if not f.is_file():
                raise _err(scope, p.line, f"node.param: parameter file {f} not found")
            check_param_file(f, f"{scope.file}:{p.line}")  # bounded parse before rcl reads it
            items.append(ParamItem(file=os.path.abspath(f)))
        elif set(p) == {"name", "value"}:
            name = _text(p["name"], scope, "node.param.name")
            try:
                value = param_value(p["value"], name, scope.configs, scope.file)
            except SubstitutionError as exc:
                raise _err(scope, p.line, f"node.param: {exc}") from None
            items.append(ParamItem(name=name, value=value))
        elif set(p) == {"name", "param"}:  # upstream's nested form
            raise _err(
                scope,
                p.line,
                "node.param: nested parameters ({name, param: [...]}) are not supported by "
                "jepa-wm launch; write each as {name: outer.inner, value: ...}",
            )
        else:
            raise _err(scope, p.line, "node.param: expected {name, value} or {from: FILE}")
    return tuple(items)


def _cmdline(body: MarkedDict, key: str, scope: _Scope) -> tuple[str, ...]:
    if key not in body:
        return ()
    value = body[key]
    if not isinstance(value, str):
        _text(value, scope, f"node.{key}")  # raises: upstream wants text here
    return tuple(split_cmdline(value, scope.configs, scope.file))


def _node(body: MarkedDict, scope: _Scope, plan: LaunchPlan, line: int) -> None:
    if not _enabled(body, scope, line, "node"):
        return
    remaps = []
    for r in _entities(body.get("remap", MarkedList()), "node.remap", scope, line):
        if set(r) != {"from", "to"}:
            raise _err(scope, r.line, "node.remap: expected {from, to}")
        remaps.append((_text(r["from"], scope, "remap.from"), _text(r["to"], scope, "remap.to")))
    env = [
        (_text(e["name"], scope, "env.name"), _text(e["value"], scope, "env.value"))
        for e in _entities(body.get("env", MarkedList()), "node.env", scope, line)
    ]
    on_exit = _text(body["on_exit"], scope, "node.on_exit") if "on_exit" in body else ""
    if on_exit not in ("", "shutdown"):
        raise _err(scope, line, f"node.on_exit: only 'shutdown' is supported, got {on_exit!r}")
    output = _text(body.get("output", "screen"), scope, "node.output")
    if output not in ("screen", "log", "both"):
        raise _err(scope, line, f"node.output: expected screen, log or both, got {output!r}")
    respawn = False
    if "respawn" in body:
        text = _text(body["respawn"], scope, "node.respawn")
        respawn = yaml_bool(text)
        if respawn is None:
            raise _err(scope, line, f"node.respawn: expected a boolean, got {text!r}")
    plan.nodes.append(
        NodeSpec(
            pkg=_require(body, "pkg", "node", scope, line),
            exec=_require(body, "exec", "node", scope, line),
            name=_text(body.get("name", ""), scope, "node.name"),
            namespace=_join_ns(
                scope.namespace, _text(body.get("namespace", ""), scope, "node.namespace")
            ),
            parameters=_parameters(body, scope, line),
            remaps=tuple(remaps),
            args=_cmdline(body, "args", scope),
            ros_args=_cmdline(body, "ros_args", scope),
            env=tuple(env),
            output=output,
            required=on_exit == "shutdown",
            respawn=respawn,
            sigterm_timeout=_float(
                body.get("sigterm_timeout", 5.0), scope, line, "sigterm_timeout"
            ),
            sigkill_timeout=_float(
                body.get("sigkill_timeout", 5.0), scope, line, "sigkill_timeout"
            ),
            source=f"{scope.file}:{line}",
        )
    )


_HANDLERS = {
    "arg": _arg,
    "let": _let,
    "node": _node,
    "include": _include,
    "group": _group,
    "push_ros_namespace": _push_ros_namespace,
}
