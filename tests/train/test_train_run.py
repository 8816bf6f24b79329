"""End-to-end training: loss goes down, resume, two-stage mode, DDP, bad inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from jepa_wm.cli.main import main
from jepa_wm.config import to_dict
from jepa_wm.errors import CheckpointError, ConfigError, StoreError
from jepa_wm.models.checkpoint import load_world_model
from jepa_wm.train.config import load_train_config
from jepa_wm.train.trainer import train
from tests.train.synth import make_store


def _log(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


def test_overfit_reduces_loss_and_writes_run(
    synth_store: Path, fast_cfg: Path, tmp_path: Path
) -> None:
    cfg = load_train_config(
        fast_cfg, {"steps": 60, "rollout_steps": 1, "vicreg_var": 0.0, "vicreg_cov": 0.0}
    )
    summary = train(cfg, [synth_store], tmp_path / "run", progress=False)
    rows = [r for r in _log(tmp_path / "run") if "loss" in r]
    assert rows[-1]["tf"] < 0.7 * rows[0]["tf"]
    assert {"lr", "clips_per_s", "rankme"} <= set(rows[0])
    for name in (
        "model.safetensors",
        "model.json",
        "config.yaml",
        "train_state.json",
        "best/model.json",
    ):
        assert (tmp_path / "run" / name).is_file(), name
    assert summary["final_val"]["val_tf"] > 0
    model = load_world_model(tmp_path / "run")
    assert model.action_dim == 2 and model.state_dim == 2
    # the saved config names the model it trained, whole and with the data's dims
    assert load_train_config(tmp_path / "run" / "config.yaml").model == model.config


def test_resume_continues_from_saved_step(
    synth_store: Path, fast_cfg: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--data",
                str(synth_store),
                "--out",
                str(run),
                "--config",
                str(fast_cfg),
                "--steps",
                "10",
                "--no-progress",
            ]
        )
        == 0
    )
    with pytest.raises(ConfigError, match="already holds a run"):
        train(load_train_config(fast_cfg, {"steps": 10}), [synth_store], run, progress=False)
    assert (
        main(
            [
                "train",
                "--data",
                str(synth_store),
                "--out",
                str(run),
                "--config",
                str(fast_cfg),
                "--steps",
                "20",
                "--resume",
                "--no-progress",
            ]
        )
        == 0
    )
    steps = [r["step"] for r in _log(run) if "loss" in r]
    assert steps == [5, 10, 15, 20]  # resumed at 10, not from 0
    assert json.loads((run / "train_state.json").read_text())["step"] == 20
    with pytest.raises(CheckpointError, match="nothing to resume"):
        train(
            load_train_config(fast_cfg, {"steps": 5}),
            [synth_store],
            tmp_path / "empty",
            resume=True,
            progress=False,
        )


def test_two_stage_freezes_the_encoder(synth_store: Path, fast_cfg: Path, tmp_path: Path) -> None:
    cfg = load_train_config(fast_cfg, {"mode": "two_stage", "pretrain_steps": 10, "steps": 10})
    train(cfg, [synth_store], tmp_path / "run", progress=False)
    stages = [r["stage"] for r in _log(tmp_path / "run") if "loss" in r]
    assert stages == ["pretrain", "pretrain", "predictor", "predictor"]
    pre = [r for r in _log(tmp_path / "run") if r.get("stage") == "pretrain" and "inv" in r]
    assert pre and "var" in pre[0]
    # The best checkpoint comes from the predictor stage; its encoder equals the final one.
    best, last = load_world_model(tmp_path / "run" / "best"), load_world_model(tmp_path / "run")
    for k, v in last.encoder.state_dict().items():
        assert torch.equal(v, best.encoder.state_dict()[k])


def test_nonfinite_clips_are_skipped_and_counted(fast_cfg: Path, tmp_path: Path) -> None:
    store = make_store(tmp_path / "nan.zarr", episodes=6, length=10)
    from jepa_wm.data.store import TrajectoryStore

    st = TrajectoryStore.open(store, mode="a")
    arr = st.array("state")
    bad = np.asarray(arr[:])
    bad[0:10:3, 0] = np.nan  # episode 0 is poisoned
    arr[:] = bad
    cfg = load_train_config(fast_cfg, {"steps": 10, "val_fraction": 0.3})
    summary = train(cfg, [store], tmp_path / "run", progress=False)
    assert summary["nonfinite_dropped"] > 0
    assert all(np.isfinite(r["loss"]) for r in _log(tmp_path / "run") if "loss" in r)


def test_bad_inputs_give_clear_errors(synth_store: Path, tmp_path: Path, capsys) -> None:
    from jepa_wm.data.store import TrajectoryStore

    TrajectoryStore.create(tmp_path / "empty.zarr", fps=10.0, source={})
    with pytest.raises(StoreError, match="no episodes|empty"):
        train(
            load_train_config(None, {"steps": 1}),
            [tmp_path / "empty.zarr"],
            tmp_path / "r1",
            progress=False,
        )
    with pytest.raises(StoreError, match="need episodes of >= 20"):
        train(
            load_train_config(None, {"steps": 1, "clip_len": 20}),
            [synth_store],
            tmp_path / "r2",
            progress=False,
        )
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("stpes: 3\n")
    rc = main(
        ["train", "--data", str(synth_store), "--out", str(tmp_path / "r3"), "--config", str(cfg)]
    )
    err = capsys.readouterr().err
    assert rc == 1 and "unknown key 'stpes'" in err and "steps" in err and "Traceback" not in err
    with pytest.raises(ConfigError, match="'depht'"):
        load_train_config(None, {"model": {"predictor": {"depht": 2}}})


@pytest.mark.parametrize(
    "extra",
    [
        "",
        "mode: two_stage\nobjective: masked\npretrain_steps: 2\nmask_pred_dim: 16\n"
        "mask_pred_heads: 2\n",
    ],
    ids=["joint", "masked"],
)
def test_ddp_two_processes_gloo(
    extra: str, synth_store: Path, fast_cfg: Path, tmp_path: Path
) -> None:
    cfg = tmp_path / "ddp.yaml"
    cfg.write_text(fast_cfg.read_text() + extra)
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "jepa_wm.cli.main",
        "train",
        "--data",
        str(synth_store),
        "--out",
        str(tmp_path / "ddp"),
        "--config",
        str(cfg),
        "--steps",
        "4",
        "--no-progress",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Grad strides do not match" not in proc.stderr  # DDP's bucket layout holds
    rows = [r for r in _log(tmp_path / "ddp") if "loss" in r]
    assert rows[-1]["step"] == 4
    assert load_world_model(tmp_path / "ddp").action_dim == 2


def test_time_budget_ends_the_run_early(synth_store: Path, fast_cfg: Path, tmp_path: Path) -> None:
    cfg = load_train_config(fast_cfg, {"steps": 10_000, "max_minutes": 0.002})
    summary = train(cfg, [synth_store], tmp_path / "run", progress=False)
    assert 1 <= summary["steps_done"] < 10_000
    assert (tmp_path / "run" / "best" / "model.json").is_file()  # final validation happened


def test_a_cpu_time_budget_ends_the_run_and_only_one_budget_is_allowed(
    synth_store: Path, fast_cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A CPU clock that runs 1 s per read: the 0.05-minute budget ends the run after a few
    # steps whatever the wall clock does (a sleeping machine would not end it).
    ticks = iter(range(10**6))
    monkeypatch.setattr(time, "process_time", lambda: float(next(ticks)))
    cfg = load_train_config(fast_cfg, {"steps": 10_000, "max_cpu_minutes": 0.05})
    summary = train(cfg, [synth_store], tmp_path / "run", progress=False)
    assert 1 <= summary["steps_done"] <= 5
    with pytest.raises(ConfigError, match="set one budget"):
        load_train_config(fast_cfg, {"max_minutes": 1.0, "max_cpu_minutes": 1.0})


def test_init_from_fine_tunes_the_predictor_on_a_frozen_encoder(
    synth_store: Path, fast_cfg: Path, tmp_path: Path
) -> None:
    train(load_train_config(fast_cfg, {"steps": 5}), [synth_store], tmp_path / "a", progress=False)
    over = {"steps": 5, "mode": "two_stage", "pretrain_steps": 0, "init_from": str(tmp_path / "a")}
    train(load_train_config(fast_cfg, over), [synth_store], tmp_path / "b", progress=False)
    a, b = load_world_model(tmp_path / "a"), load_world_model(tmp_path / "b")
    for k, v in a.encoder.state_dict().items():
        assert torch.equal(v, b.encoder.state_dict()[k])
    assert not torch.equal(a.predictor.latent_head.weight, b.predictor.latent_head.weight)
    assert any(r.get("event") == "cached_latents" for r in _log(tmp_path / "b"))


def test_state_probe_trains_the_encoder_and_resumes(
    synth_store: Path, fast_cfg: Path, tmp_path: Path
) -> None:
    from safetensors.torch import load_file

    run = tmp_path / "run"
    over = {"steps": 10, "state_probe_weight": 1.0}
    train(load_train_config(fast_cfg, over), [synth_store], run, progress=False)
    rows = [r for r in _log(run) if "loss" in r]
    assert all(r["state_probe"] > 0 for r in rows)
    saved = load_file(run / "train_state.safetensors")
    probe = {k: v for k, v in saved.items() if k.startswith("probe.")}
    assert set(probe) == {"probe.weight", "probe.bias"}
    # The resumed run starts from the saved probe, and keeps training it.
    train(
        load_train_config(fast_cfg, {**over, "steps": 20}),
        [synth_store],
        run,
        resume=True,
        progress=False,
    )
    again = load_file(run / "train_state.safetensors")
    assert not torch.equal(again["probe.weight"], probe["probe.weight"])
    with pytest.raises(ConfigError, match="state_probe_weight"):
        load_train_config(fast_cfg, {"state_probe_weight": -1.0})


def test_init_from_widens_a_markov_predictor_but_refuses_other_changes(
    synth_store: Path, fast_cfg: Path, tmp_path: Path
) -> None:
    train(load_train_config(fast_cfg, {"steps": 5}), [synth_store], tmp_path / "a", progress=False)
    base = {"steps": 5, "mode": "two_stage", "pretrain_steps": 0, "init_from": str(tmp_path / "a")}
    model = to_dict(load_train_config(fast_cfg).model)
    wide = {**model, "predictor": {**model["predictor"], "context_len": 2}}
    train(load_train_config(fast_cfg, {**base, "model": wide}), [synth_store], tmp_path / "b",
          progress=False)  # fmt: skip
    assert load_world_model(tmp_path / "b").context_len == 2
    deeper = {**model, "predictor": {**model["predictor"], "depth": 3}}
    with pytest.raises(CheckpointError, match="config differs"):
        train(load_train_config(fast_cfg, {**base, "model": deeper}), [synth_store],
              tmp_path / "c", progress=False)  # fmt: skip


def test_clip_shift_trains_and_rejects_negative(
    synth_store: Path, fast_cfg: Path, tmp_path: Path
) -> None:
    cfg = load_train_config(fast_cfg, {"steps": 3, "clip_shift": 2})
    summary = train(cfg, [synth_store], tmp_path / "run", progress=False)
    assert summary["steps_done"] == 3
    with pytest.raises(ConfigError, match="clip_shift"):
        load_train_config(fast_cfg, {"clip_shift": -1})


@pytest.mark.parametrize("objective", ["vicreg", "sigreg", "masked"])
def test_each_encoder_objective_trains_two_stage_from_the_cli(
    objective: str, synth_store: Path, fast_cfg: Path, tmp_path: Path
) -> None:
    cfg = tmp_path / "obj.yaml"
    cfg.write_text(
        fast_cfg.read_text() + f"mode: two_stage\nobjective: {objective}\npretrain_steps: 10\n"
        "steps: 5\nmask_pred_dim: 16\nmask_pred_heads: 2\nema_momentum_end: 1.0\n"
    )
    run = tmp_path / "run"
    argv = ["train", "--data", str(synth_store), "--out", str(run), "--config", str(cfg)]
    assert main([*argv, "--no-progress"]) == 0
    rows = _log(run)
    pre = [r for r in rows if r.get("stage") == "pretrain" and "loss" in r]
    key = {"vicreg": "var", "sigreg": "sigreg", "masked": "masked"}[objective]
    assert len(pre) == 2 and all(key in r and r["rankme"] >= 1.0 for r in pre)
    assert any(r.get("stage") == "pretrain" and "val_rankme" in r for r in rows)
    assert [r["stage"] for r in rows if "loss" in r][-1] == "predictor"
    # The predictor stage trained on the frozen pretrained encoder.
    best, last = load_world_model(run / "best"), load_world_model(run)
    for k, v in last.encoder.state_dict().items():
        assert torch.equal(v, best.encoder.state_dict()[k])


def test_sigreg_joint_replaces_vicreg_and_masked_needs_two_stage(
    synth_store: Path, fast_cfg: Path, tmp_path: Path
) -> None:
    cfg = load_train_config(fast_cfg, {"steps": 5, "objective": "sigreg"})
    train(cfg, [synth_store], tmp_path / "run", progress=False)
    rows = [r for r in _log(tmp_path / "run") if "loss" in r]
    assert all("sigreg" in r and "var" not in r and r["rankme"] >= 1.0 for r in rows)
    with pytest.raises(ConfigError, match="needs mode two_stage"):
        load_train_config(fast_cfg, {"objective": "masked"})
    with pytest.raises(ConfigError, match="vicreg, sigreg, masked"):
        load_train_config(fast_cfg, {"objective": "mae"})


def test_masked_objective_resumes_its_ema_target_and_predictor(fast_cfg: Path) -> None:
    from jepa_wm.train.trainer import _build_objective, _optimizer, _resumable_parts

    cfg = load_train_config(
        fast_cfg,
        {"mode": "two_stage", "objective": "masked", "mask_pred_dim": 16, "mask_pred_heads": 2},
    )
    from jepa_wm.models.world_model import JepaWorldModel

    objective = _build_objective(JepaWorldModel(cfg.model_config(2, 2)), cfg, "pretrain")
    assert set(_resumable_parts(objective)) == {"ema", "maskpred"}
    trained = {
        id(p) for g in _optimizer(objective, cfg, "pretrain").param_groups for p in g["params"]
    }
    assert {id(p) for p in objective.mask_predictor.parameters()} <= trained
    assert not {id(p) for p in objective.target_encoder.parameters()} & trained
