"""Training config: a frozen dataclass of defaults; YAML files and CLI flags override it.

Example YAML (every key optional; unknown keys raise ConfigError listing the valid ones)::

    preset: tiny
    model: {predictor: {context_len: 1, conditioning: token}}
    mode: joint            # or two_stage
    steps: 3000
    batch_size: 32
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jepa_wm.config import load_config
from jepa_wm.errors import ConfigError
from jepa_wm.models.config import ModelConfig, model_config

MODES = ("joint", "two_stage")
TARGETS = ("stopgrad", "ema")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs besides the data paths.

    mode "joint": encoder + predictor trained together on the prediction loss against a
    stop-gradient (or EMA) target, with VICReg variance/covariance terms against collapse
    (EB-JEPA). mode "two_stage": ``pretrain_steps`` of self-supervised VICReg on augmented
    views of single frames, then the encoder is frozen and the predictor trains ``steps``.
    """

    preset: str = "tiny"
    model: dict[str, Any] = field(default_factory=dict)  # nested overrides of the preset
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
    # Joint mode: shift each training clip by up to this many pixels (the same shift for every
    # frame of the clip, edges replicated), so the encoder sees more camera placements than the
    # store holds without breaking the frame-to-frame motion. 0 = off; validation never shifts.
    clip_shift: int = 0
    ema_momentum: float = 0.99
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
    encoder_init: str | None = None  # checkpoint whose encoder weights initialise ours
    init_from: str | None = None  # checkpoint whose full weights initialise ours (fine-tuning)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}, got {self.target!r}")
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

    def model_config(self, action_dim: int, state_dim: int) -> ModelConfig:
        """The model config: preset + overrides + the data's action/state dims."""
        over = {**self.model, "action_dim": action_dim, "state_dim": state_dim}
        return model_config(self.preset, over)


def load_train_config(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> TrainConfig:
    """Defaults, then YAML ``path``, then ``overrides``; the model overrides are validated too."""
    cfg = load_config(TrainConfig, path, overrides)
    where = str(path) if path else "train config"
    if not isinstance(cfg.model, dict):
        raise ConfigError(f"{where}: model: expected a mapping, got {type(cfg.model).__name__}")
    # Unknown/invalid model keys fail now (naming the file and model.<key path>), not mid-run.
    model_config(
        cfg.preset, {**cfg.model, "action_dim": 1, "state_dim": 1}, where=where, keys="model"
    )
    return cfg
