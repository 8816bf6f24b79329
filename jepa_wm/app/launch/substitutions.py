"""``$(...)`` substitutions of the ROS 2 launch frontends, and ament package lookup.

Supported: ``$(var NAME)``, ``$(env NAME [DEFAULT])``, ``$(find-pkg-share PKG)``,
``$(find-pkg-prefix PKG)``, ``$(dirname)`` and ``$(filename)`` (the launch file's absolute
directory and path, as upstream's ``os.path.abspath``). Substitutions nest
(``$(var $(env WHICH))``). Anything else is an error, never passed through, as upstream launch
does for unknown ones such as ``optenv`` (a ROS 1 roslaunch substitution); ``$(eval ...)`` and
``$(command ...)`` are deliberately not supported.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path


class SubstitutionError(ValueError):
    """A substitution is unknown, malformed or refers to something that does not exist."""


def ament_prefixes() -> list[Path]:
    """AMENT_PREFIX_PATH entries, plus this Python's prefix (where pip puts ament_python data)."""
    entries = [Path(p) for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
    if Path(sys.prefix) not in entries:
        entries.append(Path(sys.prefix))
    return entries


def ament_prefix_path_env() -> str:
    """The AMENT_PREFIX_PATH value children need so ``ament_index_python`` finds our packages."""
    return os.pathsep.join(str(p) for p in ament_prefixes())


def find_package_prefix(pkg: str) -> Path:
    """The install prefix holding ``share/ament_index/resource_index/packages/<pkg>``."""
    for prefix in ament_prefixes():
        if (prefix / "share" / "ament_index" / "resource_index" / "packages" / pkg).is_file():
            return prefix
    searched = ", ".join(str(p) for p in ament_prefixes())
    raise SubstitutionError(
        f"package {pkg!r} not found in the ament index (searched {searched}); "
        "is it installed (`make install`) and on AMENT_PREFIX_PATH?"
    )


def _close_paren(text: str, start: int) -> int:
    depth = 1
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise SubstitutionError(f"unclosed '$(' in {text!r}")


def split_substitutions(text: str) -> list[tuple[bool, str]]:
    """``text`` as top-level pieces ``(is_substitution, piece)``; a substitution piece is the
    text between ``$(`` and its matching ``)``, nested substitutions left inside it."""
    pieces: list[tuple[bool, str]] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$(", i):
            end = _close_paren(text, i + 2)
            if literal:
                pieces.append((False, "".join(literal)))
                literal = []
            pieces.append((True, text[i + 2 : end]))
            i = end + 1
        else:
            literal.append(text[i])
            i += 1
    if literal:
        pieces.append((False, "".join(literal)))
    return pieces


def substitute_piece(inner: str, configs: Mapping[str, str], launch_file: Path) -> str:
    """The value of one substitution piece from ``split_substitutions`` (innermost first)."""
    return _apply(substitute(inner, configs, launch_file), configs, launch_file)


def substitute(text: str, configs: Mapping[str, str], launch_file: Path) -> str:
    """Expand every ``$(...)`` in ``text`` (innermost first)."""
    return "".join(
        substitute_piece(piece, configs, launch_file) if is_sub else piece
        for is_sub, piece in split_substitutions(text)
    )


def _apply(inner: str, configs: Mapping[str, str], launch_file: Path) -> str:
    try:
        parts = shlex.split(inner)
    except ValueError as exc:
        raise SubstitutionError(f"$({inner}): {exc}") from None
    if not parts:
        raise SubstitutionError("empty substitution $()")
    kind, args = parts[0], parts[1:]

    def want(lo: int, hi: int) -> None:
        if not lo <= len(args) <= hi:
            raise SubstitutionError(
                f"$({inner}): {kind} takes {lo}..{hi} arguments, got {len(args)}"
            )

    if kind == "var":
        want(1, 1)
        if args[0] not in configs:
            known = ", ".join(sorted(configs)) or "none"
            raise SubstitutionError(
                f"$(var {args[0]}): undefined launch argument (defined: {known})"
            )
        return str(configs[args[0]])
    if kind == "env":
        want(1, 2)
        if args[0] in os.environ:
            return os.environ[args[0]]
        if len(args) == 2:
            return args[1]
        raise SubstitutionError(f"$(env {args[0]}): environment variable is not set")
    if kind in ("find-pkg-share", "find-pkg-prefix"):
        want(1, 1)
        prefix = find_package_prefix(args[0])
        return str(prefix / "share" / args[0]) if kind == "find-pkg-share" else str(prefix)
    if kind == "dirname":
        want(0, 0)
        return os.path.dirname(os.path.abspath(launch_file))
    if kind == "filename":
        want(0, 0)
        return os.path.abspath(launch_file)
    raise SubstitutionError(
        f"$({inner}): unknown substitution {kind!r} "
        "(supported: var, env, find-pkg-share, find-pkg-prefix, dirname, filename)"
    )
