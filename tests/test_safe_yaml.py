"""Bounded YAML everywhere the product reads YAML (issue 16, case 5).

Before: an alias bomb in a training config took 56 s and 3.7 GB before a MemoryError, one in a
launch parameter hung past 60 s at 3 GB, ``batch_size: true`` ended in a torch traceback and
errors on nested keys did not name the file.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from jepa_wm import safe_yaml
from jepa_wm.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def many_aliases(n: int) -> str:
    """n references to one tiny anchor: harmless in size, over the alias budget."""
    return "x: &x 1\ny: [" + ", ".join(["*x"] * n) + "]\n"


def bomb(levels: int, width: int, key: str = "lol") -> str:
    """A billion-laughs document: ``width ** levels`` leaves from ``levels * width`` aliases."""
    lines = [f"a0: &a0 [{', '.join([repr(key)] * width)}]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "problem", "line"),
    [
        (bomb(9, 9), "more than 100000 nodes", 6),  # the classic: 9**9 leaves
        (bomb(6, 10), "more than 100000 nodes", 5),  # 50 aliases, 10**6 leaves
        (many_aliases(65), "more than 64 aliases", 2),
        ("x: " + "[" * 70 + "]" * 70 + "\n", "nested deeper than 64", 1),
    ],
)
def test_bounds_are_refused_with_the_line(text: str, problem: str, line: int) -> None:
    with pytest.raises(yaml.MarkedYAMLError) as info:
        safe_yaml.load_yaml_text(text)
    got_line, got_problem = safe_yaml.yaml_error_line(info.value)
    assert problem in got_problem and got_line == line


def test_size_limit_reads_no_further(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("k: '" + "x" * safe_yaml.MAX_BYTES + "'\n")
    with pytest.raises(yaml.YAMLError, match="larger than 1048576 bytes"):
        safe_yaml.read_yaml_file(big)


def test_ordinary_aliases_still_load() -> None:
    data = safe_yaml.load_yaml_text("base: &b {lr: 0.1}\nrun: {<<: *b, steps: 3}\n")
    assert data["run"] == {"lr": 0.1, "steps": 3}


@pytest.mark.parametrize("name", ["alias_bomb", "nested_bomb"])
def test_training_config_bomb_is_one_line(tmp_path: Path, name: str) -> None:
    from jepa_wm.train.config import load_train_config

    body = bomb(9, 9) if name == "alias_bomb" else bomb(6, 10)
    cfg = tmp_path / "bomb.yaml"
    cfg.write_text(body.replace("a0:", "model:\n  predictor: {heads: 4}\na0:"))
    with pytest.raises(ConfigError, match=rf"{cfg}:\d+: invalid YAML: more than"):
        load_train_config(cfg)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # a bomb must not eat the host


def test_train_cli_refuses_a_bomb_in_one_line(tmp_path: Path) -> None:
    cfg = tmp_path / "bomb.yaml"
    cfg.write_text("steps: 1\nmodel:\n  predictor: {heads: 4}\n" + bomb(9, 9))
    out = subprocess.run(
        [sys.executable, "-m", "jepa_wm.cli.main", "train", "--data", str(tmp_path / "none.zarr"),
         "--out", str(tmp_path / "run"), "--config", str(cfg)],
        capture_output=True, text=True, cwd=ROOT, timeout=60, preexec_fn=_limit_memory,
    )  # fmt: skip
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 1 and len(lines) == 1, out.stderr[-2000:]
    assert f"{cfg}:9: invalid YAML: more than 100000 nodes" in lines[0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("batch_size: true\n", "batch_size: expected int, got true"),
        ("lr: [1, 2]\n", "lr: expected float, got a list of 2 items"),
        ("model:\n  predictor:\n    heads: '8'\n", "model.predictor.heads: expected int, got '8'"),
        ("model:\n  encoder: {image_size: 64.5}\n", "model.encoder.image_size: expected int"),
        ("model:\n  predictor: {headz: 4}\n", "model.predictor: unknown key 'headz'"),
        ("model: [1]\n", "model: expected a mapping, got a list of 1 items"),
    ],
)
def test_type_errors_name_file_key_path_and_type(tmp_path: Path, body: str, message: str) -> None:
    from jepa_wm.train.config import load_train_config

    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(body)
    with pytest.raises(ConfigError) as info:
        load_train_config(cfg)
    assert str(info.value).startswith(f"{cfg}: ") and message in str(info.value)


def test_planner_config_type_error_names_file_and_key(tmp_path: Path) -> None:
    from jepa_wm.app.policy import PolicyConfig
    from jepa_wm.config import load_config

    cfg = tmp_path / "planner.yaml"
    cfg.write_text("horizon: true\n")
    with pytest.raises(ConfigError, match=rf"^{cfg}: horizon: expected int, got true"):
        load_config(PolicyConfig, cfg)


def test_robot_description_bomb_is_refused(tmp_path: Path) -> None:
    from hardware.limits import LimitsError, load_robot

    robot = tmp_path / "arm.yaml"
    robot.write_text(many_aliases(100))
    with pytest.raises(LimitsError, match=rf"{robot}:2: invalid YAML: more than 64 aliases"):
        load_robot(robot)


def test_bag_topic_map_bomb_is_refused(tmp_path: Path) -> None:
    from jepa_wm.bags.config import load_bag_config

    topics = tmp_path / "topics.yaml"
    topics.write_text(bomb(6, 10))
    with pytest.raises(ConfigError, match=rf"{topics}:5: invalid YAML: more than 100000 nodes"):
        load_bag_config(topics)
