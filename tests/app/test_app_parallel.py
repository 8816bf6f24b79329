"""``--workers N``: collection and evaluation in N processes give the same per-seed results.

Bit for bit: the stores' arrays and attributes, and every per-episode field but wall time.
A result that depended on which worker ran an episode, or on the episodes before it in the
same process (an RNG carried across episodes), fails these.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from jepa_wm.app.collect import CollectConfig, collect
from jepa_wm.cli.main import main
from jepa_wm.data.store import TrajectoryStore
from sim.evaluate import EvalConfig, evaluate
from sim.parallel import EpisodePool

MODELS = Path(__file__).resolve().parents[2] / "models"


def _episodes(report: dict) -> list[dict]:
    return [{k: v for k, v in ep.items() if k != "seconds"} for ep in report["episodes"]]


def test_collect_with_two_workers_writes_the_same_store(tmp_path: Path) -> None:
    stores = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}.zarr"
        cfg = CollectConfig(env="franka-reach", episodes=4, out=str(out), policy="mixed",
                            max_steps=6, progress=False)  # fmt: skip
        assert collect(cfg, workers=workers)["num_episodes"] == 4
        stores.append(TrajectoryStore.open(out))
    one, two = stores
    assert one.keys == two.keys and one.episode_ends.tolist() == two.episode_ends.tolist()
    for key in one.keys:
        np.testing.assert_array_equal(one.read_all(key), two.read_all(key), err_msg=key)
    a, b = one.attrs, two.attrs
    for attrs in (a, b):
        attrs["source"]["collect_config"].pop("out")
    assert a == b
    # the episodes differ from each other: a worker did not replay one seed four times
    assert not np.array_equal(one.episode(0)["rgb"][0], one.episode(1)["rgb"][0])


def test_eval_policy_with_two_workers_matches_one(tmp_path: Path, capsys) -> None:
    reports = []
    for workers in ("1", "2"):
        args = ["eval-policy", "--env", "franka-reach", "--policy", "mixed", "--episodes", "4",
                "--max-steps", "8", "--workers", workers, "--json"]  # fmt: skip
        assert main(args) == 0
        reports.append(json.loads(capsys.readouterr().out))
    assert _episodes(reports[0]) == _episodes(reports[1])
    assert [ep["seed"] for ep in reports[1]["episodes"]] == [1_000_000 + i for i in range(4)]
    assert reports[0]["success_rate"] == reports[1]["success_rate"]


def test_eval_videos_are_written_by_workers(tmp_path: Path) -> None:
    run = EvalConfig("franka-reach", episodes=2, max_steps=5, workers=2, video_dir=tmp_path,
                     video_episodes=(1,))  # fmt: skip
    report = evaluate(run, "expert")
    assert report.videos == [str(tmp_path / "franka-reach_expert_ep001.mp4")]
    assert Path(report.videos[0]).stat().st_size > 0


@pytest.mark.slow
def test_eval_planner_with_two_workers_matches_one(tmp_path: Path) -> None:
    reports = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}.json"
        args = ["eval", "--checkpoint", str(MODELS / "tiny-reach"), "--env", "franka-reach",
                "--episodes", "2", "--max-steps", "3", "--threads", "1", "--workers", workers,
                "--json", "--out", str(out)]  # fmt: skip
        assert main(args) == 0
        reports.append(json.loads(out.read_text()))
    one, two = reports
    assert _episodes(one) == _episodes(two)
    assert one["policy_config"] == two["policy_config"]
    # every planning step of the workers is in the timing (2 episodes x 3 steps)
    assert one["timing"]["plan_ms"]["mean"] > 0 and two["timing"]["plan_ms"]["mean"] > 0
    assert [e["info"]["ee_pos"] for e in one["episodes"]] == [
        e["info"]["ee_pos"] for e in two["episodes"]
    ]


def test_bad_worker_counts_are_refused(capsys) -> None:
    with pytest.raises(ValueError, match="workers must be an integer >= 1"):
        EpisodePool(dict, workers=0)
    with pytest.raises(ValueError, match="policy_factory"):
        evaluate(EvalConfig("franka-reach", episodes=1, workers=2), lambda obs, goal: np.zeros(7))
    assert main(["eval-policy", "--env", "franka-reach", "--workers", "0"]) == 1
    assert "--workers must be >= 1" in capsys.readouterr().err


@pytest.mark.slow
def test_collect_as_ray_actors_writes_the_same_store(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    stores = []
    for workers, ray in ((1, None), (2, "local")):
        out = tmp_path / f"{ray}.zarr"
        cfg = CollectConfig(env="husky-nav", episodes=3, out=str(out), policy="mixed",
                            max_steps=4, progress=False)  # fmt: skip
        assert collect(cfg, workers=workers, ray_address=ray)["num_episodes"] == 3
        stores.append(TrajectoryStore.open(out))
    for key in stores[0].keys:
        np.testing.assert_array_equal(stores[0].read_all(key), stores[1].read_all(key))
