"""``jepa-wm eval``: closed-loop success of a world model + latent MPC planner on held-out seeds.

Example::

    jepa-wm eval --checkpoint runs/reach --env franka-reach --planner cem --episodes 30 --json
    jepa-wm eval --checkpoint runs/grasp --env franka-grasp --planner-config planner.yaml
    jepa-wm eval --checkpoint runs/reach --env franka-reach --workers 2 --threads 1

Each task's tuned policy is ``jepa_wm/configs/policy/<env>.yaml`` (the one the launch files'
planner_node and ``jepa-wm bench planner`` load too). ``--planner-config`` overrides keys of it
with a YAML of ``jepa_wm.app.policy.PolicyConfig`` fields (sections merge key by key;
``planner.options`` is replaced whole, and dropped when another planner is named)::

    planner: {name: cem, options: {samples: 200, iterations: 3, topk: 20}}
    horizon: 1
    cost: {kind: l1, state_weight: 0.0}      # kind l1 or l2
    mpc: {execute_steps: 1}

Grasp and pick-and-place plan through the env's subgoal sequence (pre-grasp, grasp, lift).
"""

from __future__ import annotations

import argparse
import json

from jepa_wm.cli.collect import ENV_NAMES

PLANNERS = ("cem", "icem", "mppi", "gradient", "random")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="run dir or model.safetensors")
    parser.add_argument("--env", required=True, choices=ENV_NAMES, help="task name")
    parser.add_argument("--planner", default=None, choices=PLANNERS, help="default: cem")
    parser.add_argument(
        "--planner-config", default=None, help="YAML of PolicyConfig fields over the env's policy"
    )
    parser.add_argument("--horizon", type=int, default=None, help="planning horizon H")
    parser.add_argument(
        "--goal", choices=("image", "image+state"), default=None,
        help="what of the goal reaches the planner (image: no goal state; a model with a state "
        "read-out estimates it from the goal image). Default: the planner config's",
    )  # fmt: skip
    parser.add_argument(
        "--no-env-defaults", action="store_true",
        help="start from PolicyConfig defaults, not the env's policy file "
        "(jepa_wm/configs/policy/<env>.yaml)",
    )  # fmt: skip
    parser.add_argument("--episodes", type=int, default=30, help="number of episodes")
    parser.add_argument("--seed-start", type=int, default=None, help="default: eval seed range")
    parser.add_argument("--max-steps", type=int, default=None, help="per-episode step cap")
    parser.add_argument(
        "--subgoals", choices=("auto", "on", "off"), default="auto",
        help="plan through env.subgoals() (auto: grasp and pick-place only)",
    )  # fmt: skip
    parser.add_argument("--video", default=None, help="write mp4s (obs | goal) to this folder")
    parser.add_argument(
        "--video-episodes", type=int, nargs="+", default=[0], help="episode indices to film"
    )
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    parser.add_argument(
        "--backend", default=None,
        help="where rollouts run: torch | onnxruntime | tensorrt (default: the planner config's)",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--workers", type=int, default=1,
        help="processes running episodes, each loading the model (--threads each, default 1)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the full JSON report")
    parser.add_argument("--out", default=None, help="also write the JSON report to this file")


def run(args: argparse.Namespace) -> int:
    import torch

    from jepa_wm.app.mpc_eval import evaluate_planner, load_policy_config
    from jepa_wm.errors import ConfigError
    from jepa_wm.models.checkpoint import load_world_model
    from sim.evaluate import EvalConfig
    from sim.seeds import EVAL_SEEDS_START

    if args.episodes < 1:
        raise ConfigError(f"--episodes must be >= 1, got {args.episodes}")
    if args.workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {args.workers}")
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_policy_config(
        args.planner_config, args.planner, None if args.no_env_defaults else args.env,
        horizon=args.horizon, goal=args.goal, backend=args.backend,
    )  # fmt: skip
    model = load_world_model(args.checkpoint, device=args.device)
    subgoals = {"auto": None, "on": True, "off": False}[args.subgoals]
    factory = None
    if args.workers > 1:
        from jepa_wm.app.eval_workers import policy_factory

        factory = policy_factory(
            args.checkpoint, cfg, args.env, args.device, subgoals, args.threads or 1
        )
    run_cfg = EvalConfig(
        args.env,
        episodes=args.episodes,
        seed_start=EVAL_SEEDS_START if args.seed_start is None else args.seed_start,
        max_steps=args.max_steps,
        video_dir=args.video,
        video_episodes=tuple(args.video_episodes),
        workers=args.workers,
        progress=not args.json,
    )
    report = evaluate_planner(
        model, cfg, run_cfg, device=args.device, use_subgoals=subgoals, policy_factory=factory
    )
    report["checkpoint"] = str(args.checkpoint)
    text = json.dumps(report, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    if args.json:
        print(text)
    else:
        lo, hi = report["ci95"]
        t = report["timing"]["plan_ms"]
        print(
            f"{report['env']} {report['policy']} (goal: {cfg.goal}): success {report['success_rate']:.1%} "
            f"(95% CI {lo:.1%}-{hi:.1%}) over {report['num_episodes']} episodes, "
            f"mean steps {report['mean_steps']:.1f}, plan {t['mean']:.1f} ms "
            f"(p95 {t['p95']:.1f}), {report['seconds']:.1f} s"
        )
        for v in report["videos"]:
            print(f"video: {v}")
    return 0
