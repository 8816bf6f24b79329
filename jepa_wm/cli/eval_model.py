"""``jepa-wm eval-model --checkpoint RUN_DIR --data STORE [--data ...] [--json]``

Offline quality of a world model on held-out episodes (the same split as training, read from
the checkpoint): 1..k-step open-loop latent error next to the copy-last-frame baseline,
RankMe of the latents, and action recovery (CEM over the action of each held-out transition)
next to random actions. ``--ceilings`` adds what regressors of the action reach on the same
split: from the true next state, from the encoder's latents and (``--pixel-probe-seconds``) a
CNN on the frame pairs; see ``jepa_wm/app/action_ceilings.py``.

Example::

    jepa-wm eval-model --checkpoint /tmp/model/best --data reach.zarr --horizon 4 --json
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="checkpoint dir")
    parser.add_argument(
        "--data", action="append", required=True, help="trajectory store (repeatable)"
    )
    parser.add_argument("--horizon", type=int, default=4, help="k of the k-step latent error")
    parser.add_argument(
        "--max-clips", type=int, default=512, help="held-out clips for latent errors"
    )
    parser.add_argument(
        "--transitions", type=int, default=300, help="transitions for action recovery (0: skip)"
    )
    parser.add_argument("--planner", default="cem", help="planner for action recovery")
    parser.add_argument(
        "--planner-options",
        help="YAML mapping of that planner's options (e.g. samples: 400, iterations: 6)",
    )
    parser.add_argument(
        "--all-episodes",
        action="store_true",
        help="evaluate on every episode (for stores never seen in training)",
    )
    parser.add_argument(
        "--ceilings",
        action="store_true",
        help="also regress the held-out actions from the true next state and from the latents",
    )
    parser.add_argument(
        "--pixel-probe-seconds",
        type=float,
        default=0.0,
        help="also train a CNN on the frame pairs for this long (implies --ceilings)",
    )
    parser.add_argument(
        "--probe-episodes",
        type=int,
        default=0,
        help="also fit linear probes of the end-effector and object positions (cm) on this many "
        "fresh episodes of --probe-env (0: skip)",
    )
    parser.add_argument("--probe-env", default="franka-grasp", help="env of the position probe")
    parser.add_argument(
        "--probe-frames",
        help="an .npz that keeps the probe's recorded frames: written on the first run, reused by "
        "later runs with the same episodes and views (so models are probed on the same frames)",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", action="store_true", help="print only the JSON report")


def run(args: argparse.Namespace) -> int:
    import torch

    from jepa_wm.app.model_metrics import ModelEvalConfig, evaluate_checkpoint
    from jepa_wm.config import read_yaml

    cfg = ModelEvalConfig(
        args.checkpoint,
        tuple(args.data),
        horizon=args.horizon,
        max_clips=args.max_clips,
        transitions=args.transitions,
        planner=args.planner,
        planner_options=read_yaml(args.planner_options) if args.planner_options else {},
        all_episodes=args.all_episodes,
        ceilings=args.ceilings,
        pixel_probe_seconds=args.pixel_probe_seconds,
    )
    torch.set_num_threads(max(1, min(torch.get_num_threads(), 2)))
    report = evaluate_checkpoint(cfg, device=args.device)
    if args.probe_episodes:
        from jepa_wm.app.position_probe import ProbeConfig, position_probe_report
        from jepa_wm.models.checkpoint import load_world_model

        probe = ProbeConfig(env=args.probe_env, episodes=args.probe_episodes)
        model = load_world_model(args.checkpoint, device=args.device)
        report["position_probe"] = position_probe_report(
            model, probe, args.device, args.probe_frames
        )
    if args.json:
        print(json.dumps(report))
        return 0
    lat = report["latent"]
    print(f"held-out clips: {lat['clips']}  RankMe: {lat['rankme']:.2f}")
    for k, (m, c, imp) in enumerate(
        zip(lat["model_l1"], lat["copy_l1"], lat["improvement_vs_copy"], strict=True), 1
    ):
        print(f"  {k}-step L1: model {m:.4f}  copy-last {c:.4f}  ({imp * 100:+.1f}% better)")
    rec = report.get("action_recovery")
    if rec:
        print(
            f"action recovery ({rec['transitions']} transitions, {rec['planner']}): "
            f"L2 {rec['model']['l2']:.4f} vs random {rec['random']['l2']:.4f} "
            f"(ratio {rec['error_ratio_vs_random']:.2f}, 95% CI {_ci(rec['error_ratio_ci95'])}), "
            f"correlation {rec['correlation']}"
        )
        if "xyz_error_ratio_vs_random" in rec:
            print(
                f"  xyz only: {rec['model']['xyz_l2_cm']:.2f} cm vs random "
                f"{rec['random']['xyz_l2_cm']:.2f} cm (ratio {rec['xyz_error_ratio_vs_random']:.2f}, "
                f"95% CI {_ci(rec['xyz_error_ratio_ci95'])})"
            )
    probe = report.get("position_probe")
    if probe:
        print(f"position probe ({probe['env']}, {probe['scored_frames']} scored frames):")
        for key, p in probe["positions"].items():
            print(f"  {key}: {p['probe_cm']:.2f} cm (predicting the mean: {p['mean_cm']:.2f} cm)")
    for name, ceiling in (report.get("action_ceilings") or {}).items():
        if isinstance(ceiling, dict):
            xyz = ceiling.get("xyz_error_ratio_vs_random")
            print(
                f"  ceiling {name}: ratio {ceiling['error_ratio_vs_random']:.2f}"
                + (f", xyz {xyz:.2f}" if xyz is not None else "")
            )
    return 0


def _ci(bounds: list[float]) -> str:
    return f"{bounds[0]:.2f}-{bounds[1]:.2f}"
