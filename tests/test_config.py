from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from jepa_wm.config import from_dict, load_config, save_config, to_dict
from jepa_wm.errors import ConfigError


@dataclass(frozen=True)
class Inner:
    width: int = 64
    dropout: float = 0.0


@dataclass(frozen=True)
class Outer:
    name: str = "tiny"
    sizes: tuple[int, ...] = (1, 2)
    inner: Inner = field(default_factory=Inner)


def test_defaults_and_nested_override() -> None:
    cfg = from_dict(Outer, {"inner": {"width": 32, "dropout": 1}, "sizes": [3, 4]})
    assert cfg.inner == Inner(width=32, dropout=1.0)
    assert cfg.sizes == (3, 4)
    assert cfg.name == "tiny"


def test_unknown_key_names_it_and_lists_valid_keys() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'widht'.*valid keys: dropout, width"):
        from_dict(Outer, {"inner": {"widht": 3}})


def test_wrong_type_is_refused() -> None:
    with pytest.raises(ConfigError, match="expected int"):
        from_dict(Outer, {"inner": {"width": "wide"}})


def test_yaml_round_trip(tmp_path: Path) -> None:
    cfg = from_dict(Outer, {"name": "x", "inner": {"width": 8}})
    save_config(cfg, tmp_path / "c.yaml")
    again = load_config(Outer, tmp_path / "c.yaml", overrides={"name": "y"})
    assert to_dict(again) == {**to_dict(cfg), "name": "y"}


def test_bad_yaml_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("a: [1, 2\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(Outer, tmp_path / "bad.yaml")
    with pytest.raises(ConfigError, match="not found"):
        load_config(Outer, tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    "path", sorted((Path(__file__).resolve().parents[1] / "jepa_wm" / "configs").glob("*.yaml"))
)
def test_shipped_training_configs_load(path: Path) -> None:
    from jepa_wm.train.config import load_train_config

    load_train_config(path)  # unknown or invalid keys raise ConfigError
