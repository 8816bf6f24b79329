"""`jepa-wm bench rollout` on CPU: every variant is timed against fp32 and checked for deviation."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import torch

from jepa_wm.bench import rollout as bench
from jepa_wm.cli.main import main
from jepa_wm.errors import ConfigError
from jepa_wm.models.checkpoint import save_checkpoint
from jepa_wm.models.config import model_config
from jepa_wm.models.world_model import JepaWorldModel


def _args(**kw: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args(["--cases", "4x1", "8x2", "--repeats", "1", "--warmup", "0"])
    for k, v in kw.items():
        setattr(args, k, v)
    return args


def test_parse_case() -> None:
    assert bench.parse_case("1000x3") == (1000, 3)
    for bad in ("1000", "ax3", "0x2", "4x-1"):
        with pytest.raises(ConfigError, match="1000x3|>= 1"):
            bench.parse_case(bad)


def test_bench_rollout_reports_bf16_deviation_on_cpu(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = JepaWorldModel(model_config("tiny", {"action_dim": 7, "state_dim": 7}))
    with torch.no_grad():  # a fresh predictor's output head is zero: make the rollout non-trivial
        for p in model.predictor.parameters():
            p.normal_(0.0, 0.1)
    ckpt = save_checkpoint(model, tmp_path / "m")
    report = bench.run(_args(checkpoint=str(ckpt)))
    assert report["device"] == "cpu"
    assert [(c["samples"], c["horizon"]) for c in report["cases"]] == [(4, 1), (8, 2)]
    for case in report["cases"]:
        assert case["fp32_ms"] > 0 and case["bf16_ms"] > 0 and case["graph_ms"] is None
        # bf16 changes the numbers (it really ran in bf16) by about its 8-bit mantissa's step
        assert 0 < case["bf16_max_abs_err"] < 0.05 * case["latent_abs_mean"]


def test_bench_rollout_cli(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["bench", "rollout", "--cases", "2x1", "--repeats", "1", "--warmup", "0", "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["cases"][0]["samples"] == 2
    assert main(["bench", "rollout", "--cases", "2y1"]) == 1
    assert "SAMPLESxHORIZON" in capsys.readouterr().err
