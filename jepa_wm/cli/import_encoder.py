"""``jepa-wm import-encoder --vjepa2 FILE.safetensors --out DIR [--config YAML] [--prefix P]``

Loads ViT encoder weights saved in V-JEPA 2's state-dict layout (a local safetensors file; no
pickle, nothing downloaded) into the ViT of the training config's preset, prints which keys
were loaded, missing, unexpected or mismatched, and writes a checkpoint dir whose encoder a
training run can start from (``jepa-wm train --encoder-init DIR``; with ``mode: two_stage``
and ``pretrain_steps: 0`` the imported encoder stays frozen under the predictor).

Example::

    jepa-wm import-encoder --vjepa2 vitl.safetensors --prefix target_encoder. \\
        --config my_vitl.yaml --out runs/vitl-init
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vjepa2", required=True, help="safetensors file, V-JEPA 2 layout")
    parser.add_argument("--out", required=True, help="checkpoint dir to write")
    parser.add_argument("--config", help="training config YAML (preset + model overrides)")
    parser.add_argument("--preset", help="model size preset (a ViT one: small, base)")
    parser.add_argument(
        "--prefix", default="", help="key prefix of the encoder in the file (target_encoder.)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="fail unless every key is accounted for"
    )


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from jepa_wm.models.checkpoint import save_checkpoint
    from jepa_wm.models.vjepa2 import load_vjepa2_encoder
    from jepa_wm.models.world_model import JepaWorldModel
    from jepa_wm.train.config import load_train_config

    cfg = load_train_config(args.config, {"preset": args.preset})
    model = JepaWorldModel(cfg.model_config(7, 7))
    report = load_vjepa2_encoder(model, args.vjepa2, prefix=args.prefix, strict=args.strict)
    doc = {"source": str(args.vjepa2), "prefix": args.prefix, **asdict(report)}
    save_checkpoint(model, args.out, meta={"imported_encoder": doc})
    print(json.dumps({**doc, "complete": report.complete, "out": str(args.out)}, indent=2))
    return 0
