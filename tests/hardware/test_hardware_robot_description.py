"""The names, action bounds and workspace of a robot description: loaded, checked, one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from hardware.limits import ROBOTS_DIR, LimitsError, load_robot, parse_robot


def _desc(name: str) -> dict:
    return yaml.safe_load((ROBOTS_DIR / f"{name}.yaml").read_text())


def test_hardware_descriptions_name_actions_and_states() -> None:
    for name, dim in (("panda", 7), ("kuka_iiwa", 7), ("husky", 2)):
        desc = load_robot(name)
        spec = desc.action_spec()
        assert spec.names == desc.action_names and spec.low.shape == spec.high.shape == (dim,)
        assert np.all(spec.low < spec.high) or name == "kuka_iiwa"  # no gripper: 0 width
        assert desc.state_names
    husky = load_robot("husky")
    np.testing.assert_array_equal(
        husky.action_spec().high, [husky.twist_limits.linear, husky.twist_limits.angular]
    )
    ws = load_robot("panda").workspace
    assert np.all(np.array(ws.low) < np.array(ws.high)) and ws.max_lead > 0


@pytest.mark.parametrize(
    ("name", "mutate", "message"),
    [
        ("panda", lambda d: d.update(action_names=["dx", "dy"]), "action_names: expected 7 names"),
        (
            "husky",
            lambda d: d.update(action_names=["v", "v"]),
            "action_names: names must be unique",
        ),
        ("panda", lambda d: d.update(state_names="xyz"), "state_names: expected a list of names"),
        (
            "panda",
            lambda d: d["workspace"].update(low=[1, 0, 0]),
            "workspace.low .* must be < high",
        ),
        ("panda", lambda d: d["workspace"].pop("max_lead"), "missing key 'max_lead'"),
        (
            "panda",
            lambda d: d["workspace"].update(rpy_limit=[1, 2]),
            "rpy_limit: expected 3 numbers",
        ),
        ("husky", lambda d: d.update(workspace={}), "unknown key 'workspace'"),
    ],
)
def test_hardware_bad_names_or_workspace_is_a_clear_error(name: str, mutate, message: str) -> None:
    d = _desc(name)
    mutate(d)
    with pytest.raises(LimitsError, match=f"^bad.yaml: .*{message}"):
        parse_robot(d, source="bad.yaml")


def test_hardware_action_spec_needs_action_names() -> None:
    d = _desc("panda")
    del d["action_names"]
    with pytest.raises(LimitsError, match="panda: the description has no action_names"):
        parse_robot(d).action_spec()
