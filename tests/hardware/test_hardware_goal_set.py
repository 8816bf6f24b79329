"""Goal sets on disk: append, load back, and one-line errors for broken sets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hardware.goal_set import Goal, GoalSetError, add_goal, load_goal_set, next_goal_name

RGB = np.random.default_rng(0).integers(0, 256, (6, 8, 3), dtype=np.uint8)


def test_goal_set_roundtrip_two_views_and_append(tmp_path: Path) -> None:
    assert next_goal_name(tmp_path) == "goal_000"
    add_goal(tmp_path, Goal("goal_000", {"rgb": RGB, "wrist": RGB[::-1]}, ["j1"], [0.5]))
    state = np.array([0.1, 0.2])
    add_goal(
        tmp_path, Goal(next_goal_name(tmp_path), {"rgb": RGB}, state_names=["x", "y"], state=state)
    )
    first, second = load_goal_set(tmp_path)
    assert np.array_equal(first.images["wrist"], RGB[::-1]) and first.state is None
    assert first.joint_names == ["j1"] and first.joint_positions == [0.5]
    assert second.name == "goal_001" and np.array_equal(second.state, state)


def test_goal_set_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(GoalSetError, match="no goal_set.yaml"):
        load_goal_set(tmp_path)
    add_goal(tmp_path, Goal("goal_000", {"rgb": RGB}))
    (tmp_path / "goal_000_rgb.png").unlink()
    with pytest.raises(GoalSetError, match=r"goal_set.yaml: goals\[0\]: cannot read image"):
        load_goal_set(tmp_path)
    (tmp_path / "goal_set.yaml").write_text("version: 7\ngoals: []\n")
    with pytest.raises(GoalSetError, match="not a version-1 goal set"):
        load_goal_set(tmp_path)
    with pytest.raises(GoalSetError, match="expected uint8"):
        add_goal(tmp_path / "new", Goal("g", {"rgb": RGB.astype(np.float32)}))
