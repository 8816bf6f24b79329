"""Evaluation harness: Wilson interval, report fields, JSON, mp4 output."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from sim.evaluate import EvalConfig, evaluate, wilson_interval


def test_sim_wilson_interval_known_values() -> None:
    lo, hi = wilson_interval(30, 30)
    assert hi == 1.0 and lo == pytest.approx(0.8865, abs=1e-3)
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-3) and hi == pytest.approx(0.7634, abs=1e-3)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_sim_evaluate_expert_with_video(tmp_path: Path) -> None:
    report = evaluate(
        EvalConfig("franka-reach", episodes=2, max_steps=30, video_dir=tmp_path), "expert"
    )
    assert report.success_rate == 1.0 and len(report.episodes) == 2
    assert report.episodes[0]["seed"] == report.seed_start
    assert 0 < report.mean_steps <= 30
    d = json.loads(json.dumps(report.to_dict()))
    assert d["num_episodes"] == 2 and len(d["ci95"]) == 2
    (video,) = report.videos
    cap = cv2.VideoCapture(video)
    ok, frame = cap.read()
    assert ok and frame.shape == (64, 128, 3)  # observation | goal side by side
    cap.release()


def test_sim_evaluate_callable_policy_and_reset_hook() -> None:
    class Still:
        name = "still"
        resets = 0

        def reset(self) -> None:
            self.resets += 1

        def __call__(self, obs, goal):
            assert goal.rgb.shape == obs.rgb.shape
            return np.zeros(2)

    pol = Still()
    report = evaluate(EvalConfig("husky-nav", episodes=2, max_steps=3), pol)
    assert pol.resets == 2 and report.success_rate == 0.0 and report.mean_steps == 3
    assert report.policy == "still"
