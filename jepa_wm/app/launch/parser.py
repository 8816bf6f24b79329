"""Parse the subset of the ROS 2 YAML launch format this project uses into ``NodeSpec`` lists.

Supported (same meaning as ``ros2 launch``, so one file serves both):

- ``launch:`` a list of actions;
- ``arg: {name, default, description}``; ``let: {name, value}``;
- ``node: {pkg, exec, name, namespace, param, remap, output, on_exit: shutdown, args, ros_args,
  respawn, env, if, unless, sigterm_timeout, sigkill_timeout}``; ``param`` entries are
  ``{name, value}`` or ``{from: params.yaml}``; ``remap`` entries are ``{from, to}``;
- ``include: {file, arg: [{name, value}], if, unless}`` (YAML launch files only);
- ``group:`` a list of actions, or ``{children, scoped, if, unless}``;
- ``push_ros_namespace: {namespace}`` (scoped to the enclosing group or file);
- substitutions: see ``substitutions.py``.

Any other tag or attribute is a ``LaunchError`` naming the file and line: a typo never goes
unnoticed. Launch arguments given on the command line must be declared by some ``arg``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jepa_wm.app.launch.substitutions import SubstitutionError, substitute
from jepa_wm.app.launch.yaml_marks import (
    MarkedDict,
    MarkedList,
    check_param_file,
    load_marked_yaml,
)
from jepa_wm.errors import LaunchError


@dataclass(frozen=True)
class NodeSpec:
    """One node to start. ``params`` values are YAML text, as ``-p name:=value`` expects."""

    pkg: str
    exec: str
    name: str = ""
    namespace: str = ""
    params: tuple[tuple[str, str], ...] = ()
    param_files: tuple[str, ...] = ()
    remaps: tuple[tuple[str, str], ...] = ()
    args: tuple[str, ...] = ()
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
            raise _err(scope, eline, str(exc)) from None


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


def _text(value: Any, scope: _Scope) -> str:
    """A scalar attribute as text, substitutions expanded."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return substitute(str(value), scope.configs, scope.file)


def _require(body: MarkedDict, key: str, tag: str, scope: _Scope, line: int) -> str:
    if key not in body:
        raise _err(scope, line, f"{tag}: missing attribute {key!r}")
    return _text(body[key], scope)


def _flag(value: Any, scope: _Scope, line: int, what: str) -> bool:
    text = _text(value, scope).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise _err(scope, line, f"{what}: expected true/false/1/0, got {text!r}")


def _enabled(body: Any, scope: _Scope, line: int) -> bool:
    if not isinstance(body, MarkedDict):
        return True
    if "if" in body and not _flag(body["if"], scope, line, "if"):
        return False
    return not ("unless" in body and _flag(body["unless"], scope, line, "unless"))


def _arg(body: MarkedDict, scope: _Scope, plan: LaunchPlan, line: int) -> None:
    name = _require(body, "name", "arg", scope, line)
    default = _text(body["default"], scope) if "default" in body else None
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
        if not _enabled(body, scope, line):
            return
        scoped = _flag(body.get("scoped", True), scope, line, "scoped")
        children = body.get("children", MarkedList())
    else:
        scoped, children = True, body
    _parse_actions(children, scope.child() if scoped else scope, plan, line)


def _include(body: MarkedDict, scope: _Scope, plan: LaunchPlan, line: int) -> None:
    if not _enabled(body, scope, line):
        return
    target = Path(_require(body, "file", "include", scope, line))
    if not target.is_absolute() and not target.is_file():
        target = scope.file.resolve().parent / target
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


def _param_value(value: Any, scope: _Scope) -> str:
    """YAML text for ``-p name:=value``; rcl parses it back with the same type inference."""
    if isinstance(value, str):
        return substitute(value, scope.configs, scope.file)
    if isinstance(value, list):
        return json.dumps([_param_scalar(v, scope) for v in value])
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _param_scalar(v: Any, scope: _Scope) -> Any:
    return substitute(v, scope.configs, scope.file) if isinstance(v, str) else v


def _node(body: MarkedDict, scope: _Scope, plan: LaunchPlan, line: int) -> None:
    if not _enabled(body, scope, line):
        return
    params, files, remaps = [], [], []
    for p in _entities(body.get("param", MarkedList()), "node.param", scope, line):
        if "from" in p and len(p) == 1:
            f = Path(_text(p["from"], scope))
            if not f.is_file():
                raise _err(scope, p.line, f"parameter file {f} not found")
            check_param_file(f, f"{scope.file}:{p.line}")  # bounded parse before rcl reads it
            files.append(str(f))
        elif set(p) == {"name", "value"}:
            params.append((_text(p["name"], scope), _param_value(p["value"], scope)))
        else:
            raise _err(scope, p.line, "node.param: expected {name, value} or {from: FILE}")
    for r in _entities(body.get("remap", MarkedList()), "node.remap", scope, line):
        if set(r) != {"from", "to"}:
            raise _err(scope, r.line, "node.remap: expected {from, to}")
        remaps.append((_text(r["from"], scope), _text(r["to"], scope)))
    env = [
        (_text(e["name"], scope), _text(e["value"], scope))
        for e in _entities(body.get("env", MarkedList()), "node.env", scope, line)
    ]
    on_exit = _text(body["on_exit"], scope) if "on_exit" in body else ""
    if on_exit not in ("", "shutdown"):
        raise _err(scope, line, f"node.on_exit: only 'shutdown' is supported, got {on_exit!r}")
    output = _text(body.get("output", "screen"), scope)
    if output not in ("screen", "log", "both"):
        raise _err(scope, line, f"node.output: expected screen, log or both, got {output!r}")
    extra = _text(body["args"], scope).split() if "args" in body else []
    extra += _text(body["ros_args"], scope).split() if "ros_args" in body else []
    plan.nodes.append(
        NodeSpec(
            pkg=_require(body, "pkg", "node", scope, line),
            exec=_require(body, "exec", "node", scope, line),
            name=_text(body.get("name", ""), scope),
            namespace=_join_ns(scope.namespace, _text(body.get("namespace", ""), scope)),
            params=tuple(params),
            param_files=tuple(files),
            remaps=tuple(remaps),
            args=tuple(extra),
            env=tuple(env),
            output=output,
            required=on_exit == "shutdown",
            respawn=_flag(body.get("respawn", False), scope, line, "respawn"),
            sigterm_timeout=float(_text(body.get("sigterm_timeout", 5.0), scope)),
            sigkill_timeout=float(_text(body.get("sigkill_timeout", 5.0), scope)),
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
