"""Training config: a frozen dataclass of defaults; YAML files and CLI flags override it.

Example YAML (every key optional; unknown keys raise ConfigError listing the valid ones)::

    preset: tiny           # the model preset the model: keys below are merged onto
    model: {predictor: {context_len: 1, conditioning: token}}
    mode: joint            # or two_stage
    steps: 3000
    batch_size: 32
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jepa_wm.config import config_data, from_dict
from jepa_wm.config_loader import shown
from jepa_wm.errors import ConfigError
from jepa_wm.models.config import ModelConfig, model_data, replace

MODES = ("joint", "two_stage")
TARGETS = ("stopgrad", "ema")
OBJECTIVES = ("vicreg", "sigreg", "masked")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs besides the data paths.

    mode "joint": encoder + predictor trained together on the prediction loss against a
    stop-gradient (or EMA) target, with an anti-collapse term chosen by ``objective``.
    mode "two_stage": ``pretrain_steps`` of self-supervised encoder training chosen by
    ``objective``, then the encoder is frozen and the predictor trains ``steps``.

    objective (the encoder's self-supervised objective):
      * "vicreg": VICReg (Bardes et al. 2022). Joint: variance/covariance on the latents
        (EB-JEPA); two-stage: invariance + variance + covariance between two augmented views.
      * "sigreg": LeJEPA's SIGReg (Balestriero & LeCun 2025), one trade-off weight
        ``sigreg_weight`` (lambda): loss = (1 - lambda) * prediction + lambda * SIGReg, where
        the prediction is the world-model loss (joint) or view invariance (two-stage).
      * "masked": I-JEPA / V-JEPA masked latent prediction with an EMA target (two-stage
        only: V-JEPA 2-AC freezes the masked-pretrained encoder under its predictor).

    model: the world model, typed and whole. Its preset is named once, in ``model.preset``:
    ``TrainConfig()`` holds ``ModelConfig()``, which is the ``tiny`` preset, and another preset
    in code is ``TrainConfig(model=model_config("small"))``. So a train config cannot name one
    preset and hold another's model, and there is no unresolved "the preset's" model (None)
    to fill in later. In YAML (and the CLI's ``--preset``) a top-level ``preset:`` key picks
    the preset that the file's ``model:`` keys are merged onto; :func:`load_train_config`
    resolves it, so it is a loading instruction rather than a field. ``model.action_dim`` and
    ``model.state_dim`` are placeholders until the data is read: :meth:`model_config` replaces
    them with the store's widths (a run's saved ``config.yaml`` holds the data's).
    """

    model: ModelConfig = field(default_factory=ModelConfig)
    mode: str = "joint"
    steps: int = 3000
    pretrain_steps: int = 1000
    batch_size: int = 32
    clip_len: int = 4
    frame_skip: int = 1
    lr: float = 1e-3
    encoder_lr_scale: float = 1.0
    weight_decay: float = 0.01
    warmup_steps: int = 100
    grad_clip: float = 1.0
    rollout_steps: int = 2
    rollout_weight: float = 1.0
    state_weight: float = 0.5
    # Joint mode: weight of a linear probe from the frame latent to the frame's own state (L1,
    # normalised). It makes the encoder carry the arm pose, which a tiny encoder trained from
    # scratch otherwise drops as hard to predict. >0 makes the encoder not purely self-supervised.
    state_probe_weight: float = 0.0
    target: str = "stopgrad"
    objective: str = "vicreg"
    sigreg_weight: float = 0.05  # LeJEPA's lambda
    # Random 1-D projections per step. They are redrawn every step, so a few times D suffices;
    # the Epps-Pulley terms cost N * slices * knots cos/sin (256 slices: ~1 s a step on 1 CPU).
    sigreg_slices: int = 64
    sigreg_knots: int = 17  # trapezoid points of the Epps-Pulley integral on [0, 5]
    mask_ratio: float = 0.6  # fraction of the patch grid that is target (masked) per frame
    mask_block_scale: float = 0.15  # area of each target block, as a fraction of the grid
    mask_pred_dim: int = 32  # the narrow masked-prediction predictor
    mask_pred_depth: int = 2
    mask_pred_heads: int = 4
    mask_context_weight: float = 0.0  # dense loss on the context patches too (0: I-JEPA's)
    # Joint mode: shift each training clip by up to this many pixels (the same shift for every
    # frame of the clip, edges replicated), so the encoder sees more camera placements than the
    # store holds without breaking the frame-to-frame motion. 0 = off; validation never shifts.
    clip_shift: int = 0
    ema_momentum: float = 0.99
    # EMA momentum at the end of a stage; it rises linearly from ema_momentum (I-JEPA's
    # schedule, 0.996 -> 1.0). None: constant.
    ema_momentum_end: float | None = None
    vicreg_var: float = 1.0
    vicreg_cov: float = 0.04
    vicreg_inv: float = 1.0
    val_fraction: float = 0.1
    val_every: int = 250
    val_batches: int = 8
    log_every: int = 25
    ckpt_every: int = 500
    num_workers: int = 0
    threads: int = 0  # torch intra-op threads per process; 0 leaves torch's default
    seed: int = 0
    cache_latents: bool = True  # frozen-encoder stage: encode every frame once, train on latents
    max_minutes: float = 0.0  # wall-clock budget for the whole run (0: none); ends stages early
    # CPU-time budget of this process (all its threads) for the whole run (0: none): the same
    # compute for runs that share a machine with other work, where wall-clock budgets differ.
    max_cpu_minutes: float = 0.0
    encoder_init: str | None = None  # checkpoint whose encoder weights initialise ours
    init_from: str | None = None  # checkpoint whose full weights initialise ours (fine-tuning)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}, got {self.target!r}")
        self._check_objective()
        if len(self.model.views) > 1 and self.target == "ema":
            raise ValueError(
                "several camera views (model.views) train with target stopgrad; the joint EMA "
                "target is single-view for now"
            )
        if self.max_minutes and self.max_cpu_minutes:
            raise ValueError("set one budget: max_minutes (wall clock) or max_cpu_minutes")
        if self.clip_len < 2:
            raise ValueError("clip_len must be >= 2 (a frame and its successor)")
        if self.rollout_steps < 1 or self.rollout_steps > self.clip_len - 1:
            raise ValueError(
                f"rollout_steps must be in 1..clip_len-1={self.clip_len - 1}, got {self.rollout_steps}"
            )
        for name in ("steps", "batch_size", "val_every", "log_every", "ckpt_every", "frame_skip"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.clip_shift < 0:
            raise ValueError("clip_shift must be >= 0")
        if self.state_probe_weight < 0:
            raise ValueError("state_probe_weight must be >= 0")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError("val_fraction must be in (0, 1)")

    def _check_objective(self) -> None:
        """The encoder objective's keys (raises ValueError)."""
        if self.objective not in OBJECTIVES:
            raise ValueError(
                f"objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}"
            )
        if self.objective == "masked" and self.mode != "two_stage":
            raise ValueError("objective 'masked' needs mode two_stage (encoder first, then frozen)")
        if not 0.0 <= self.sigreg_weight <= 1.0:
            raise ValueError("sigreg_weight must be in [0, 1]")
        if not 0.0 < self.mask_ratio < 1.0:
            raise ValueError("mask_ratio must be in (0, 1)")
        if not 0.0 < self.mask_block_scale <= 1.0:
            raise ValueError("mask_block_scale must be in (0, 1]")
        if self.mask_context_weight < 0:
            raise ValueError("mask_context_weight must be >= 0")
        for m in (self.ema_momentum, self.ema_momentum_end):
            if m is not None and not 0.0 <= m <= 1.0:
                raise ValueError("ema_momentum and ema_momentum_end must be in [0, 1]")
        if self.sigreg_slices < 1 or self.sigreg_knots < 2:
            raise ValueError("sigreg_slices must be >= 1 and sigreg_knots >= 2")
        if self.mask_pred_depth < 1 or self.mask_pred_heads < 1:
            raise ValueError("mask_pred_depth and mask_pred_heads must be >= 1")
        if self.mask_pred_dim % self.mask_pred_heads:
            raise ValueError("mask_pred_dim must be a multiple of mask_pred_heads")

    def model_config(self, action_dim: int, state_dim: int) -> ModelConfig:
        """``model`` with the data's dims: ``action_dim``/``state_dim`` are the widths of the
        store's ``action`` and ``state`` vectors."""
        return replace(self.model, action_dim=action_dim, state_dim=state_dim)


def load_train_config(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> TrainConfig:
    """Defaults, then YAML ``path``, then ``overrides`` (shallow: an overridden ``model``
    replaces the file's whole section).

    The ``model:`` section is merged onto its preset (the top-level ``preset:``, or
    ``model.preset`` as a saved config holds it; default tiny) and built with the rest, so an
    unknown or invalid model key fails now, naming the file and ``model.<key path>``. Raises
    ConfigError, also when ``preset`` and ``model.preset`` name different presets.
    """
    where = str(path) if path else TrainConfig.__name__
    data = config_data(path, overrides)
    data["model"] = _model_data(data, where)
    return from_dict(TrainConfig, data, where=where)


def _model_data(data: dict[str, Any], where: str) -> dict[str, Any]:
    """The file's ``model:`` section merged onto its preset; pops ``data``'s ``preset`` key."""
    model = data.get("model")
    if model is None:
        model = {}  # as the loader reads an empty section: the defaults
    if not isinstance(model, Mapping):
        raise ConfigError(f"{where}: model: expected a mapping, got {shown(model)}")
    named = model.get("preset")
    if "preset" not in data:
        if named is None:
            return model_data(overrides=model)  # the default preset
        key, name = "model.preset", named
    else:
        key, name = "preset", data.pop("preset")
        if named is not None and name != named:
            raise ConfigError(
                f"{where}: model.preset: {shown(named)} differs from preset {shown(name)}; "
                "give one of them"
            )
    if not isinstance(name, str):
        raise ConfigError(f"{where}: {key}: expected str, got {shown(name)}")
    try:
        return model_data(name, model)
    except ConfigError as exc:  # an unknown preset: say where it was named
        raise ConfigError(f"{where}: {key}: {exc}") from None
