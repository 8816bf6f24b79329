"""Robot descriptions: the bundled ones load, malformed ones fail with a clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from hardware.limits import LimitsError, load_robot, parse_robot, robot_names


def test_hardware_bundled_robots_load() -> None:
    assert {"panda", "husky", "kuka_iiwa"} <= set(robot_names())
    panda = load_robot("panda")
    assert panda.kind == "arm" and len(panda.joints) == 7
    assert np.all(panda.joint_lower < panda.joint_upper)
    low, high = panda.ee_delta_limits.low_high()
    assert low.shape == high.shape == (7,) and np.all(high > 0)
    assert load_robot("husky").twist_limits.linear > 0
    assert len(load_robot("kuka_iiwa").rest_pose) == 7


def _panda_dict() -> dict:
    return yaml.safe_load(
        (Path(load_robot.__code__.co_filename).parent / "robots/panda.yaml").read_text()
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(speed=3), "unknown key 'speed'"),
        (lambda d: d["joints"][0].update(upper=float("nan")), "joints[0].upper: must be finite"),
        (lambda d: d["joints"][1].update(lower=5.0), "joints[1]: lower 5.0 must be < upper"),
        (lambda d: d["ee_delta_limits"].pop("rotation"), "missing key 'rotation'"),
        (lambda d: d.update(kind="drone"), "kind must be one of"),
        (lambda d: d["joints"][2].update(velocity="fast"), "expected a number"),
    ],
)
def test_hardware_bad_description_is_a_clear_error(mutate, message: str) -> None:
    d = _panda_dict()
    mutate(d)
    with pytest.raises(LimitsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_robot(d, source="bad.yaml")


def test_hardware_missing_robot_lists_known(tmp_path: Path) -> None:
    with pytest.raises(LimitsError, match="known robots: .*panda"):
        load_robot("nonexistent")
    bad = tmp_path / "r.yaml"
    bad.write_text(
        "name: x\nkind: base\nurdf: u\ncontrol_rate_hz: .nan\ntwist_limits: {linear: 1, angular: 1}\n"
    )
    with pytest.raises(LimitsError, match=r"r.yaml: control_rate_hz: must be finite"):
        load_robot(bad)
