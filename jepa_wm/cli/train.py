"""``jepa-wm train --data STORE [--data STORE2 ...] --out RUN_DIR [--config CFG.yaml] ...``

Trains a world model (encoder + AC predictor) on trajectory stores. Without ``--config`` (and
``--mode``) it runs the default recipe, the best CPU recipe of the tiny preset: a joint stage,
then the predictor on the frozen encoder, 29 minutes on 2 cores (:mod:`jepa_wm.train.recipe`).
With ``--config``, flags override the YAML config, which overrides the defaults of
:class:`jepa_wm.train.config.TrainConfig`. Under ``torchrun --nproc_per_node N -m
jepa_wm.cli.main train ...`` it runs DDP (gloo on CPU).

Example::

    jepa-wm train --data /tmp/reach.zarr --out runs/reach            # the default recipe
    jepa-wm train --data /tmp/reach.zarr --out runs/r1 --config jepa_wm/configs/tiny.yaml
    jepa-wm train --data /tmp/reach.zarr --out runs/reach --resume --steps 4000
    jepa-wm train --data /tmp/reach.zarr --out runs/reach --tensorboard runs/tb/reach
"""

from __future__ import annotations

import argparse
import json
import os


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", action="append", required=True, help="trajectory store (repeatable)"
    )
    parser.add_argument("--out", required=True, help="run directory (checkpoints, logs, config)")
    parser.add_argument(
        "--config",
        help="YAML overrides of the training config (default: the two-stage tiny recipe)",
    )
    parser.add_argument("--preset", help="model size preset: tiny, small, base")
    parser.add_argument("--mode", choices=("joint", "two_stage"), help="training mode")
    parser.add_argument("--steps", type=int, help="training steps (predictor stage for two_stage)")
    parser.add_argument("--batch-size", type=int, dest="batch_size")
    parser.add_argument(
        "--encoder-init",
        dest="encoder_init",
        help="checkpoint dir whose encoder weights initialise the model",
    )
    parser.add_argument(
        "--max-minutes",
        type=float,
        dest="max_minutes",
        help="wall-clock budget; the LR schedule and the run end within it",
    )
    parser.add_argument(
        "--max-cpu-minutes",
        type=float,
        dest="max_cpu_minutes",
        help="CPU-time budget of this process (all threads), for equal compute on a shared machine",
    )
    parser.add_argument(
        "--init-from",
        dest="init_from",
        help="checkpoint dir whose full weights initialise the model",
    )
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda, cuda:0)")
    parser.add_argument("--threads", type=int, help="torch threads per process")
    parser.add_argument(
        "--tensorboard", metavar="DIR",
        help="also log the JSONL scalars and latent-error images to TensorBoard in DIR",
    )  # fmt: skip
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--json", action="store_true", help="print the summary as JSON (default: one line)"
    )


def run(args: argparse.Namespace) -> int:
    import torch

    from jepa_wm.train.config import load_train_config
    from jepa_wm.train.recipe import run_recipe
    from jepa_wm.train.trainer import train

    overrides = {
        k: getattr(args, k)
        for k in (
            "preset",
            "mode",
            "steps",
            "batch_size",
            "encoder_init",
            "init_from",
            "threads",
            "max_minutes",
            "max_cpu_minutes",
        )
    }
    device = torch.device(args.device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    common = {
        "resume": args.resume,
        "device": device,
        "progress": not args.no_progress,
        "tensorboard": args.tensorboard,
    }
    if args.config is None and args.mode is None:
        summary = run_recipe(args.data, args.out, overrides=overrides, **common)
    else:
        summary = train(load_train_config(args.config, overrides), args.data, args.out, **common)
    if int(os.environ.get("RANK", "0")) != 0:
        return 0  # under torchrun, rank 0 reports for the run
    print(json.dumps(summary) if args.json else _summary_line(args.out, summary))
    return 0


def _summary_line(out: str, summary: dict) -> str:
    """One line: steps, time, throughput and the validation loss of the run."""
    val = summary.get("final_val") or {}
    best = summary.get("best_val")
    final = f"final val_loss {val['val_loss']:.4f}" if "val_loss" in val else "no validation"
    best_text = f" (best {best:.4f} in {out}/best)" if best is not None else ""
    params = summary.get("params")  # absent when a resumed recipe had nothing left to run
    size = f"; {params['encoder'] + params['predictor']:,} parameters" if params else ""
    return (
        f"{out}: {summary['steps_done']} steps in {summary['wall_s']:.0f} s; {final}{best_text}"
        f"{size}"
    )
