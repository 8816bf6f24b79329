"""Link a pip-installed ament_python package's console scripts into ``lib/<pkg>/``.

    python ros_ws/link_executables.py PREFIX [PACKAGE]      (PACKAGE defaults to jepa_wm_ros)

pip puts console scripts in ``PREFIX/bin``, while upstream ``ros2 launch`` and ``ros2 run`` look
for a package's executables only in ``PREFIX/lib/<pkg>/`` (colcon puts them there through
setup.cfg). ``make install`` runs this after ``pip install ros_ws/src/jepa_wm_ros`` so the venv
is an ament prefix upstream launch can run. The script names come from the installed
distribution's ``entry_points.txt`` (setup.py is the one place they are listed).
"""

from __future__ import annotations

import configparser
import sys
from pathlib import Path


def console_scripts(prefix: Path, package: str) -> list[str]:
    """The console script names of ``package`` installed under ``prefix``; SystemExit if none."""
    dist = package.replace("_", "-")
    found = [
        p
        for p in prefix.glob("lib/python*/site-packages/*.dist-info/entry_points.txt")
        if p.parent.name.replace("_", "-").startswith(f"{dist}-")
    ]
    if not found:
        raise SystemExit(f"link_executables: {package} is not installed under {prefix}")
    entries = configparser.ConfigParser(delimiters=("=",))
    entries.read(found[0])
    return sorted(entries["console_scripts"]) if "console_scripts" in entries else []


def link(prefix: Path, package: str) -> list[Path]:
    """Create ``prefix/lib/<package>/<script>`` -> ``../../bin/<script>`` links; returns them."""
    libdir = prefix / "lib" / package
    libdir.mkdir(parents=True, exist_ok=True)
    made = []
    for name in console_scripts(prefix, package):
        if not (prefix / "bin" / name).is_file():
            raise SystemExit(f"link_executables: {prefix}/bin/{name} is missing")
        target = libdir / name
        if target.is_symlink() or target.exists():
            target.unlink()
        target.symlink_to(Path("../../bin") / name)
        made.append(target)
    return made


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    links = link(Path(sys.argv[1]).resolve(), sys.argv[2] if len(sys.argv) == 3 else "jepa_wm_ros")
    print(f"linked {len(links)} executables into {links[0].parent if links else '-'}")
