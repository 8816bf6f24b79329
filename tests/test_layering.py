"""The dependency direction of the design card, checked on the source (no imports executed)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package (or sub-package) -> top-level modules it must never import
FORBIDDEN = {
    "jepa_wm/data": {"rclpy", "planners", "sim", "hardware", "jepa_wm.cli", "jepa_wm.app"},
    "jepa_wm/models": {"rclpy", "planners", "sim", "hardware", "jepa_wm.cli", "jepa_wm.app"},
    "jepa_wm/train": {"rclpy", "planners", "sim", "hardware", "jepa_wm.cli", "jepa_wm.app"},
    "planners": {"rclpy", "jepa_wm", "sim", "hardware"},
    "sim": {"rclpy", "jepa_wm", "planners"},
    "hardware": {"rclpy", "jepa_wm", "planners", "sim"},
    "jepa_wm/bags": {"rclpy", "planners", "sim", "jepa_wm.cli", "jepa_wm.app"},
    "jepa_wm/lerobot": {"rclpy", "planners", "sim", "hardware", "jepa_wm.cli", "jepa_wm.app"},
    "jepa_wm/app": {"rclpy"},
    "jepa_wm/cli": {"rclpy"},
    "jepa_wm/bench": set(),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


# Leaf modules any layer may import: they import nothing from the project (checked below).
SHARED_LEAVES = {"jepa_wm.safe_yaml", "jepa_wm.config_loader"}


def _violations(pkg: str, forbidden: set[str]) -> list[str]:
    bad: list[str] = []
    for path in sorted((ROOT / pkg).rglob("*.py")):
        for name in _imports(path) - SHARED_LEAVES:
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


@pytest.mark.parametrize("pkg", sorted(FORBIDDEN))
def test_no_upward_imports(pkg: str) -> None:
    assert _violations(pkg, FORBIDDEN[pkg]) == []


@pytest.mark.parametrize("leaf", sorted(SHARED_LEAVES))
def test_shared_leaves_import_nothing_from_the_project(leaf: str) -> None:
    path = ROOT / (leaf.replace(".", "/") + ".py")
    project = ("jepa_wm", "planners", "sim", "hardware", "rclpy")
    assert [n for n in _imports(path) if n.split(".")[0] in project] == []


def test_checker_catches_a_violation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("import rclpy\nfrom sim.x import y\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert len(_violations("pkg", {"rclpy", "sim"})) == 2
