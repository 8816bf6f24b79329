"""The default training recipe: what ``jepa-wm train`` runs when it is given no ``--config``.

The best CPU recipe of the tiny preset is two runs (models/README.md, "The tiny-wm recipe: what
was measured"), and a new user should not have to know that:

1. ``joint``: encoder and predictor trained together (``configs/tiny_aa_probe.yaml``), 18 min;
2. ``predictor``: the encoder frozen, every frame encoded once, the predictor trained on
   4-step rollouts of the cached latents (``configs/tiny_aa_probe_finetune.yaml``), 11 min,
   initialised from stage 1's last checkpoint.

Layout: ``OUT/joint/`` is stage 1's run directory; the last stage writes ``OUT`` itself, so
``OUT`` holds the final model (``model.json``, ``best/``, ``config.yaml``, ``log.jsonl``), as a
one-config run does. ``OUT/recipe.json`` records the stages that finished, so ``--resume``
skips them and resumes the one that was running.

Flags apply to every stage (``batch_size``, ``threads``), except: ``steps`` sets each stage's
steps; ``max_minutes`` / ``max_cpu_minutes`` replace the recipe's 29-minute wall-clock
budget and are split between the stages as 18 : 11; ``init_from`` / ``encoder_init`` initialise
stage 1 only.

Usage::

    summary = run_recipe(["reach.zarr"], "runs/reach", overrides={"threads": 2})
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from jepa_wm.errors import ConfigError
from jepa_wm.models.checkpoint import META
from jepa_wm.train.config import TrainConfig, load_train_config
from jepa_wm.train.state import STATE_JSON
from jepa_wm.train.trainer import train

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
RECIPE_JSON = "recipe.json"
BUDGET_KEYS = ("max_minutes", "max_cpu_minutes")
FIRST_STAGE_ONLY = ("init_from", "encoder_init")


@dataclasses.dataclass(frozen=True)
class RecipeStage:
    """One run of a recipe: its name (stage 1's run directory under OUT), its config file in
    ``jepa_wm/configs``, and its share of the time budget in wall-clock minutes on 2 CPU cores."""

    name: str
    config: str
    minutes: float


# The tiny-wm recipe: 3,613 + 3,294 steps in 29.8 minutes on 2 cores (models/README.md).
DEFAULT_RECIPE: tuple[RecipeStage, ...] = (
    RecipeStage("joint", "tiny_aa_probe.yaml", 18.0),
    RecipeStage("predictor", "tiny_aa_probe_finetune.yaml", 11.0),
)


def stage_configs(
    overrides: Mapping[str, Any] | None = None,
    recipe: Sequence[RecipeStage] = DEFAULT_RECIPE,
) -> list[TrainConfig]:
    """Each stage's resolved TrainConfig: its file, then the flags ``overrides`` (None values
    ignored) as the module docstring says. Raises ConfigError on a bad flag value."""
    over = {k: v for k, v in (overrides or {}).items() if v is not None}
    if over.get("mode") is not None:
        raise ConfigError("the recipe fixes each stage's mode; pass --mode with --config")
    if over.get("preset", "tiny") != "tiny":
        raise ConfigError(
            f"the default recipe trains the tiny preset; for {over['preset']!r} pass --config "
            f"(a config with preset: {over['preset']})"
        )
    total = sum(st.minutes for st in recipe)
    budget = {k: over.pop(k) for k in BUDGET_KEYS if k in over}
    if not budget:  # the recipe's own wall-clock budget
        budget = {"max_minutes": total}
    first = {k: over.pop(k) for k in FIRST_STAGE_ONLY if k in over}
    out = []
    for i, st in enumerate(recipe):
        stage_over = {k: v * st.minutes / total for k, v in budget.items()}
        stage_over.update(over)
        if i == 0:
            stage_over.update(first)
        out.append(load_train_config(CONFIG_DIR / st.config, stage_over))
    return out


def _done(out: Path) -> list[str]:
    path = out / RECIPE_JSON
    return list(json.loads(path.read_text())["done"]) if path.is_file() else []


def _mark_done(out: Path, done: list[str]) -> None:
    tmp = out / (RECIPE_JSON + ".tmp")
    tmp.write_text(json.dumps({"done": done}) + "\n")
    tmp.replace(out / RECIPE_JSON)  # atomic: a crash never leaves a half-written record


def run_recipe(
    data_paths: list[str | Path],
    out_dir: str | Path,
    *,
    overrides: Mapping[str, Any] | None = None,
    recipe: Sequence[RecipeStage] = DEFAULT_RECIPE,
    resume: bool = False,
    device: torch.device | str = "cpu",
    progress: bool = True,
    tensorboard: str | Path | None = None,
) -> dict[str, Any]:
    """Train the recipe's stages on ``data_paths`` into ``out_dir`` (layout in the module
    docstring); returns the last stage's summary (``jepa_wm.train.trainer.train``'s) with
    ``steps_done`` and ``wall_s`` summed over the stages run now and ``stages``: each one's.

    Raises ConfigError when ``out_dir`` already holds a run and ``resume`` is False."""
    out = Path(out_dir)
    cfgs = stage_configs(overrides, recipe)
    if not resume and ((out / RECIPE_JSON).exists() or (out / META).exists()):
        raise ConfigError(f"{out} already holds a run; pass --resume or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    done = _done(out) if resume else []
    summaries: dict[str, Any] = {}
    prev: Path | None = None
    for i, (st, cfg) in enumerate(zip(recipe, cfgs, strict=True)):
        run_dir = out if i == len(recipe) - 1 else out / st.name
        if i > 0:
            cfg = dataclasses.replace(cfg, init_from=str(prev))
        prev = run_dir
        if st.name in done:
            continue
        summaries[st.name] = train(
            cfg,
            data_paths,
            run_dir,
            resume=resume and (run_dir / STATE_JSON).exists(),
            device=device,
            progress=progress,
            tensorboard=None if tensorboard is None else Path(tensorboard) / st.name,
        )
        done.append(st.name)
        _mark_done(out, done)
    last = summaries.get(recipe[-1].name, {})
    return {
        **last,
        "steps_done": sum(sm["steps_done"] for sm in summaries.values()),
        "wall_s": sum(sm["wall_s"] for sm in summaries.values()),
        "stages": summaries,
    }
