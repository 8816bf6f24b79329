"""``bench planner --preset``: the ladder's budgets, overrides and baselines in the JSON."""

from __future__ import annotations

import argparse
import json

import pytest
import torch

from jepa_wm.bench import planner as bench
from jepa_wm.cli.main import main
from jepa_wm.models.config import model_config
from jepa_wm.models.world_model import JepaWorldModel


def _args(*extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    return parser.parse_args(["--steps", "1", "--warmup", "0", *extra])


def test_vjepa2_ac_preset_has_its_predictor() -> None:
    cfg = model_config("vjepa2-ac")
    p = cfg.predictor
    assert (p.dim, p.depth, p.heads, cfg.encoder.num_tokens) == (1024, 24, 16, 256)
    with torch.device("meta"):  # no memory, no init cost
        m = JepaWorldModel(cfg)
    assert 295e6 < sum(x.numel() for x in m.predictor.parameters()) < 310e6


def test_ladder_reports_both_budgets_next_to_eager_fp32() -> None:
    report = bench.run(_args("--preset", "tiny", "--backend", "onnxruntime", "--samples", "8"))
    assert set(report["budgets"]) == {"vjepa2-ac", "ours"}
    vj, ours = report["budgets"]["vjepa2-ac"], report["budgets"]["ours"]
    # --samples overrides both budgets; the rest stay each budget's own, and the JSON says so
    assert (vj["samples"], vj["iterations"], vj["horizon"]) == (8, 10, 2)
    assert (ours["samples"], ours["iterations"], ours["horizon"]) == (8, 2, 1)
    for b in (vj, ours):
        assert b["backend"]["backend"] == "onnxruntime"
        assert b["eager_fp32"]["backend"] == "torch-eager-fp32"
        assert b["backend"]["rollouts_per_step"] == b["samples"] * b["iterations"]
        assert b["flops_per_step"] > 0 and b["backend"]["achieved_flop_per_s"] > 0
        assert b["speedup_over_eager_fp32"] > 0
    assert vj["flops_per_step"] > 5 * ours["flops_per_step"]  # 10 x 2 vs 2 x 1 rollout steps
    assert report["peak_flops"]["measured_fp32"] > 0
    json.dumps(report)


def test_bad_preset_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "planner", "--preset", "huge", "--steps", "1"]) == 1
    err = capsys.readouterr().err.strip()
    assert "valid presets: tiny, small, base, vjepa2-ac" in err and len(err.splitlines()) == 1


def test_gpu_table_script_refuses_without_cuda_and_renders_a_cpu_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from jepa_wm.bench import gpu_table

    if not torch.cuda.is_available():
        assert gpu_table.main(["--device", "cpu"]) == 1
        assert "needs a CUDA device" in capsys.readouterr().out
    rep = bench.run(_args("--preset", "tiny", "--samples", "4", "--iterations", "1"))
    hist = {"cached_graphed": {"ms_per_plan_p50": 1.0}, "cached_eager": {"ms_per_plan_p50": 2.0}}
    hist |= {"naive_eager": {"ms_per_plan_p50": 4.0}, "graphed_cached_over_naive": 4.0}
    report = {"date": "d", "device_name": "cpu", "ladder": {"tiny": rep}, "history": hist}
    text = gpu_table.markdown(report)
    assert "| tiny | vjepa2-ac: 4 x 1 x 2 |" in text and "| tiny | ours: 4 x 1 x 1 |" in text
    assert "(4.00x)" in text


def test_gpu_table_reductions_run_small_on_a_cpu() -> None:
    from jepa_wm.bench import gpu_table

    out = gpu_table.reductions(torch.device("cpu"), preset="tiny", scale=0.02, steps=1)
    rows = {k: v for k, v in out.items() if isinstance(v, dict)}
    assert set(rows) == set(gpu_table.REDUCTIONS)
    full = rows["cem 400 x 10 (V-JEPA 2-AC)"]
    assert full["rollouts_per_action"] == 8 * 10  # 400 x 0.02 samples, 10 iterations
    assert rows["cem 400 x 3"]["rollouts_per_action"] == 8 * 3
    assert rows["icem 400 x 10 (population / 1.25 per iteration)"]["rollouts_per_action"] <= 80
    assert rows["cem 400 x 10, patches pooled to 8 x 8"]["tokens_per_frame"] == 66
    assert full["tokens_per_frame"] == 18 and full["s_per_action_p50"] > 0
    assert "| cem 400 x 3 |" in gpu_table.markdown(
        {"date": "d", "device_name": "cpu", "ladder": {}, "history": _HIST, "reductions": out}
    )


_HIST = {
    "cached_graphed": {"ms_per_plan_p50": 1.0},
    "cached_eager": {"ms_per_plan_p50": 2.0},
    "naive_eager": {"ms_per_plan_p50": 4.0},
    "graphed_cached_over_naive": 4.0,
}


def test_gpu_table_parity_and_history_run_on_a_cpu() -> None:
    """The GPU script's parity and history steps, on CPU (where the graph path is eager)."""
    from jepa_wm.bench import gpu_table

    par = gpu_table.parity(torch.device("cpu"), cases=(("tiny", 1, 8, 2, 1e-4),))
    assert par["graph_tiny"]["max_abs_err"] == 0.0  # eager on a CPU: the same computation
    assert par["onnxruntime_tiny"]["max_abs_err"] < 1e-4
    assert "skipped" in par["tensorrt_tiny"] or par["tensorrt_tiny"]["max_abs_err"] < 1e-3
    hist = gpu_table.history(torch.device("cpu"), plans=1, preset="tiny", samples=8)
    assert hist["graphed_cached_over_naive"] > 0 and hist["context"] == 4
