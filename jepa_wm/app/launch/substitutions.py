"""``$(...)`` substitutions of the ROS 2 launch frontends, and ament package lookup.

Supported: ``$(var NAME)``, ``$(env NAME [DEFAULT])``, ``$(optenv NAME [DEFAULT])``,
``$(find-pkg-share PKG)``, ``$(find-pkg-prefix PKG)``, ``$(dirname)``, ``$(filename)``.
Substitutions nest (``$(var $(env WHICH))``). Anything else is an error, never passed through:
``$(eval ...)`` and ``$(command ...)`` are deliberately not supported.
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


def substitute(text: str, configs: Mapping[str, str], launch_file: Path) -> str:
    """Expand every ``$(...)`` in ``text`` (innermost first)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$(", i):
            end = _close_paren(text, i + 2)
            inner = substitute(text[i + 2 : end], configs, launch_file)
            out.append(_apply(inner, configs, launch_file))
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


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
    if kind in ("env", "optenv"):
        want(1, 2)
        if args[0] in os.environ:
            return os.environ[args[0]]
        if len(args) == 2 or kind == "optenv":
            return args[1] if len(args) == 2 else ""
        raise SubstitutionError(f"$(env {args[0]}): environment variable is not set")
    if kind in ("find-pkg-share", "find-pkg-prefix"):
        want(1, 1)
        prefix = find_package_prefix(args[0])
        return str(prefix / "share" / args[0]) if kind == "find-pkg-share" else str(prefix)
    if kind == "dirname":
        want(0, 0)
        return str(launch_file.resolve().parent)
    if kind == "filename":
        want(0, 0)
        return launch_file.name
    raise SubstitutionError(
        f"$({inner}): unknown substitution {kind!r} "
        "(supported: var, env, optenv, find-pkg-share, find-pkg-prefix, dirname, filename)"
    )
