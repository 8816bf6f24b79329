"""``jepa-wm export --checkpoint RUN_DIR --out DIR [--backend onnx|tensorrt]``

Exports the encoder and one predictor step to ONNX (checked against torch with onnxruntime),
and with ``--backend tensorrt`` also builds TensorRT engines (needs the ``tensorrt`` package,
GPU hosts only; elsewhere it fails with a clear error before exporting anything).

Example::

    jepa-wm export --checkpoint runs/reach --out runs/reach/onnx
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--checkpoint", required=True, help="checkpoint dir (model.safetensors + model.json)"
    )
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--backend", choices=("onnx", "tensorrt"), default="onnx")
    parser.add_argument(
        "--no-verify", action="store_true", help="skip the onnxruntime parity check"
    )


def run(args: argparse.Namespace) -> int:
    from jepa_wm.models.backends import require_tensorrt
    from jepa_wm.models.checkpoint import load_world_model
    from jepa_wm.models.export import build_tensorrt, export_onnx, onnx_parity

    if args.backend == "tensorrt":
        require_tensorrt()  # before exporting anything
    model = load_world_model(args.checkpoint, device="cpu")
    info = export_onnx(model, args.out)
    if not args.no_verify:
        info["parity_max_abs_diff"] = onnx_parity(model, args.out)
    if args.backend == "tensorrt":
        info["engines"] = [str(p) for p in build_tensorrt(args.out)]
    print(json.dumps(info, indent=2))
    return 0
