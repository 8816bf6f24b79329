"""`jepa-wm collect` writes a trajectory store, resumes by appending, refuses a mismatch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from jepa_wm.cli.main import main
from jepa_wm.data.store import TrajectoryStore


def test_sim_collect_grasp_then_inspect_and_resume(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "grasp.zarr"
    args = ["collect", "--env", "franka-grasp", "--out", str(out), "--max-steps", "6", "--json"]
    assert main([*args, "--episodes", "5"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["num_episodes"] == 5 and summary["steps_per_s"] > 0
    assert main(["inspect", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["episodes"] == 5

    st = TrajectoryStore.open(out)
    ep = st.episode(0)
    assert ep["rgb"].shape == (7, 64, 64, 3) and ep["state"].shape == (7, 7)
    assert np.all(ep["action"][-1] == 0)  # the final frame's action has no successor
    src = st.attrs["source"]
    assert src["env"] == "franka-grasp" and src["policy"] == "mixed" and src["seed_start"] == 0
    assert "rgb" in st.attrs["cameras"] and st.attrs["cameras"]["rgb"]["fx"] > 0
    assert st.attrs["stats"]["action"]["mean"]

    # re-running appends and continues the seed sequence (episode i uses seed i)
    assert main([*args, "--episodes", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["first_seed"] == 5
    st = TrajectoryStore.open(out)
    assert st.num_episodes == 7
    assert not np.array_equal(st.episode(5)["rgb"][0], st.episode(0)["rgb"][0])

    # an incompatible store is refused with a one-line error
    assert main([*args, "--episodes", "1", "--wrist"]) == 1
    assert "cameras" in capsys.readouterr().err


def test_sim_collect_same_seed_same_episode(tmp_path: Path) -> None:
    from jepa_wm.app.collect import CollectConfig, collect

    for name in ("a", "b"):
        collect(CollectConfig(env="husky-nav", episodes=1, out=str(tmp_path / name),
                              policy="random", max_steps=4, progress=False))  # fmt: skip
    a = TrajectoryStore.open(tmp_path / "a").episode(0)
    b = TrajectoryStore.open(tmp_path / "b").episode(0)
    assert np.array_equal(a["rgb"], b["rgb"]) and np.array_equal(a["action"], b["action"])
