"""``jepa-wm viz``: the episode video and the energy landscape of a committed model."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from jepa_wm.app.mpc_eval import load_policy_config
from jepa_wm.app.viz import EXTERNAL_SIZE, energy_landscape, episode_frames, record_episode
from jepa_wm.app.viz_draw import upscale
from jepa_wm.cli.main import main
from jepa_wm.errors import ConfigError
from jepa_wm.models.checkpoint import load_world_model

MODEL = Path(__file__).resolve().parents[2] / "models" / "tiny-reach"
SEED = 1_000_000


@pytest.fixture(scope="module")
def model():
    return load_world_model(MODEL)


def test_episode_frames_show_render_views_goal_and_energy(model) -> None:
    cfg = load_policy_config(None, None, "franka-reach")
    rec = record_episode(model, "franka-reach", cfg, SEED, max_steps=3, wrist_camera=True)
    assert len(rec.energies) == 3 and np.isfinite(rec.energies).all()
    frames = episode_frames(rec)
    assert len(frames) == 4  # every observation, the last one after the third action
    s = EXTERNAL_SIZE
    # external | planner rgb | planner wrist | goal, over a 150 px energy curve
    assert frames[0].shape == (s + 150, 4 * s, 3)
    assert rec.external[0].shape == (s, s, 3) and rec.views[0]["rgb"].shape == (64, 64, 3)
    below_label = slice(30, s)
    np.testing.assert_array_equal(
        frames[1][below_label, s : 2 * s], upscale(rec.views[1]["rgb"], s)[below_label]
    )
    np.testing.assert_array_equal(
        frames[1][below_label, 3 * s :], upscale(rec.goals[1], s)[below_label]
    )
    assert not np.array_equal(frames[0][s:], frames[3][s:])  # the curve grows


def test_viz_episode_cli_writes_a_playable_mp4(tmp_path: Path, capsys) -> None:
    args = ["viz", "episode", "--checkpoint", str(MODEL), "--env", "franka-reach",
            "--max-steps", "2", "--out", str(tmp_path), "--json"]  # fmt: skip
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    with av.open(summary["video"]) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        assert stream.codec_context.name == "h264"
    assert len(frames) == summary["steps"] + 1 == 3
    assert Path(summary["still"]).stat().st_size > 0


def test_energy_landscape_marks_the_true_action(model, tmp_path: Path) -> None:
    from jepa_wm.app.collect import run_collect_episode
    from sim.policies import make_policy
    from sim.registry import make_env

    cfg = load_policy_config(None, None, "franka-reach")
    land = energy_landscape(model, "franka-reach", cfg, SEED, step=2, n=9)
    assert land.energy.shape == (9, 9) and np.isfinite(land.energy).all()
    assert land.energy.std() > 0  # the model's energy depends on the action
    assert land.names == ("dx", "dy")
    env = make_env("franka-reach")
    try:
        ep, _ = run_collect_episode(env, make_policy("mixed", env, seed=SEED), SEED, 3, -1)
    finally:
        env.close()
    np.testing.assert_array_equal(land.true, ep["action"][2])
    lo, hi = env.action_spec.low, env.action_spec.high
    assert ((land.chosen >= lo - 1e-6) & (land.chosen <= hi + 1e-6)).all()
    assert land.picture().ndim == 3
    with pytest.raises(ConfigError, match="unknown action dim 'dq'"):
        energy_landscape(model, "franka-reach", cfg, SEED, step=2, dims=("dx", "dq"), n=3)


def test_viz_landscape_cli_writes_png_and_json(tmp_path: Path, capsys) -> None:
    args = ["viz", "landscape", "--checkpoint", str(MODEL), "--env", "franka-reach",
            "--step", "1", "--grid", "5", "--dims", "dx", "dz", "--out", str(tmp_path)]  # fmt: skip
    assert main(args) == 0
    assert "energy over dx x dz at step 1" in capsys.readouterr().out
    doc = json.loads((tmp_path / f"franka-reach_seed{SEED}_step1_dx_dz.json").read_text())
    energy = np.asarray(doc["energy"])
    assert energy.shape == (5, 5)
    k = int(np.argmin(energy))
    assert doc["grid_argmin"] == [doc["x_values"][k % 5], doc["y_values"][k // 5]]
    assert (tmp_path / f"franka-reach_seed{SEED}_step1_dx_dz.png").stat().st_size > 0


def test_viz_episode_rerun_recording_holds_the_episode(tmp_path: Path, capsys) -> None:
    chunk = pytest.importorskip("rerun.chunk")
    args = ["viz", "episode", "--checkpoint", str(MODEL), "--env", "franka-reach",
            "--max-steps", "2", "--out", str(tmp_path), "--rerun", "--json"]  # fmt: skip
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    rows: dict[str, int] = {}
    for c in chunk.RrdReader(summary["rerun"]).stream():
        rows[c.entity_path] = rows.get(c.entity_path, 0) + c.num_rows
    steps = summary["steps"]
    assert rows["/world/external"] == rows["/planner/rgb"] == rows["/goal"] == steps + 1
    assert rows["/energy"] == rows["/action/dx"] == rows["/plan"] == steps
    assert rows["/state/x"] == steps + 1
