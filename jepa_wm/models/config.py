"""World-model configs: frozen dataclasses with size presets (the ladder ``tiny`` .. ``vjepa2-ac``).

``tiny`` trains on two CPU cores in minutes (conv encoder, 64 px, 16 pooled tokens of D=32,
Markov predictor of width 64). ``small``/``base`` use a ViT encoder and are meant for GPUs.
``vjepa2-ac`` has V-JEPA 2-AC's predictor (width 1024, 24 layers, 16 heads: ~300M parameters;
256 patch tokens per frame, so a block is 258 tokens); its encoder is a smaller ViT than
V-JEPA 2's ViT-g (256 px, 16 px patches), since planning time is the predictor's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jepa_wm.config import from_dict
from jepa_wm.config_loader import merge
from jepa_wm.errors import ConfigError


@dataclass(frozen=True)
class EncoderConfig:
    """Frame encoder: uint8 [H, W, 3] -> ``num_tokens`` = pool_grid**2 tokens of ``dim``.

    kind: "conv" (strided conv stack, grid image_size/8) or "vit" (patch_size patches).
    The grid is average-pooled to pool_grid x pool_grid so 64 px and 96 px give the same P.
    """

    kind: str = "conv"
    image_size: int = 64
    dim: int = 32
    channels: tuple[int, ...] = (16, 32, 64)
    # conv only: downsample by average pooling after unstrided convs (anti-aliased, so a 1-px
    # move of the arm changes the features smoothly) instead of stride-2 convs (~4x the FLOPs).
    antialias: bool = False
    pool_grid: int = 4
    patch_size: int = 8
    depth: int = 4
    heads: int = 4
    mlp_ratio: float = 4.0

    def __post_init__(self) -> None:
        if self.kind not in ("conv", "vit"):
            raise ValueError(f"encoder.kind must be 'conv' or 'vit', got {self.kind!r}")
        if self.image_size < 16 or self.dim < 1 or self.pool_grid < 1:
            raise ValueError("encoder.image_size >= 16, dim >= 1 and pool_grid >= 1 required")
        grid = self.grid_size
        if grid < self.pool_grid:
            raise ValueError(f"encoder grid {grid} is smaller than pool_grid {self.pool_grid}")
        if self.kind == "vit" and self.image_size % self.patch_size:
            raise ValueError("encoder.image_size must be a multiple of patch_size")

    @property
    def grid_size(self) -> int:
        """Side of the feature grid before pooling."""
        if self.kind == "conv":
            return self.image_size // (2 ** len(self.channels))
        return self.image_size // self.patch_size

    @property
    def num_tokens(self) -> int:
        return self.pool_grid * self.pool_grid


@dataclass(frozen=True)
class PredictorConfig:
    """V-JEPA 2-AC action-conditioned predictor.

    conditioning: "token" (per step tokens [action, state, patches]) or "adaln" (tokens
    [state, patches], every layer modulated by the step's action embedding, as DiT/JEPA-WMs).
    time_pos: "rope" (rotary over the time step, relative) or "learned" (absolute table of
    ``max_steps`` entries). context_len C: the attention window in frames (1 = Markov). The
    window applies per layer (as a sliding-window transformer), so with C > 1 information from
    up to depth * (C - 1) frames back can reach a prediction.
    """

    dim: int = 64
    depth: int = 3
    heads: int = 4
    mlp_ratio: float = 4.0
    context_len: int = 1
    conditioning: str = "token"
    time_pos: str = "rope"
    max_steps: int = 64
    residual: bool = True

    def __post_init__(self) -> None:
        if self.conditioning not in ("token", "adaln"):
            raise ValueError(
                f"predictor.conditioning must be token|adaln, got {self.conditioning!r}"
            )
        if self.time_pos not in ("rope", "learned"):
            raise ValueError(f"predictor.time_pos must be rope|learned, got {self.time_pos!r}")
        if self.context_len < 1:
            raise ValueError("predictor.context_len must be >= 1")
        if self.dim % self.heads or (self.dim // self.heads) % 2:
            raise ValueError("predictor.dim / heads must be an even integer (rotary pairs)")


@dataclass(frozen=True)
class ModelConfig:
    """A world model: encoder + predictor + the robot's action/state dims."""

    preset: str = "tiny"
    action_dim: int = 7
    state_dim: int = 7
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    predictor: PredictorConfig = field(default_factory=PredictorConfig)
    # Hidden width of the state read-out head (latents of one frame -> that frame's proprio
    # state), 0 = none. It lets an image-only goal carry an *estimated* goal state into the
    # planner's state term; see jepa_wm.models.readout.
    state_readout: int = 0
    # The camera views the model sees, as store keys: "rgb" (the main camera) first, then
    # "rgb_<camera>" (e.g. "rgb_wrist"). One encoder serves every view; each view adds a learned
    # embedding to its tokens, and the predictor sees all of them (P = views x pool_grid**2).
    views: tuple[str, ...] = ("rgb",)

    def __post_init__(self) -> None:
        if self.state_readout < 0:
            raise ValueError("state_readout (hidden width) must be >= 0")
        views = tuple(self.views)
        ok = all(v == "rgb" or (v.startswith("rgb_") and len(v) > 4) for v in views)
        if not views or views[0] != "rgb" or not ok or len(set(views)) != len(views):
            raise ValueError(
                f"views must be 'rgb' then distinct 'rgb_<camera>' store keys, got {list(views)}"
            )

    @property
    def num_tokens(self) -> int:
        """Tokens per time step the predictor sees: every view's pooled grid."""
        return len(self.views) * self.encoder.num_tokens


_PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {},
    "small": {
        "encoder": {
            "kind": "vit",
            "image_size": 128,
            "dim": 192,
            "patch_size": 16,
            "depth": 6,
            "heads": 3,
            "pool_grid": 8,
        },
        "predictor": {"dim": 192, "depth": 6, "heads": 6, "context_len": 4},
    },
    "base": {
        "encoder": {
            "kind": "vit",
            "image_size": 224,
            "dim": 384,
            "patch_size": 16,
            "depth": 12,
            "heads": 6,
            "pool_grid": 14,
        },
        "predictor": {"dim": 384, "depth": 12, "heads": 12, "context_len": 8},
    },
    "vjepa2-ac": {
        "encoder": {
            "kind": "vit",
            "image_size": 256,
            "dim": 384,
            "patch_size": 16,
            "depth": 6,
            "heads": 6,
            "pool_grid": 16,
        },
        "predictor": {"dim": 1024, "depth": 24, "heads": 16, "context_len": 8},
    },
}
PRESET_NAMES = tuple(_PRESETS)


def preset_dict(name: str) -> dict[str, Any]:
    """The overrides that define preset ``name`` (as nested plain dicts)."""
    if name not in _PRESETS:
        raise ConfigError(f"unknown preset {name!r}; valid presets: {', '.join(PRESET_NAMES)}")
    return {"preset": name, **{k: dict(v) for k, v in _PRESETS[name].items()}}


def model_data(preset: str = "tiny", overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Preset ``preset``'s plain mapping with nested ``overrides`` merged in, section by section
    (``jepa_wm.config_loader.merge``), ready for the loader to build a ModelConfig from.

    Raises ConfigError on an unknown preset (listing the valid ones)."""
    return merge(ModelConfig, preset_dict(preset), overrides or {})


def model_config(
    preset: str = "tiny",
    overrides: Mapping[str, Any] | None = None,
    *,
    where: str = "model config",
    keys: str = "",
) -> ModelConfig:
    """Preset ``preset`` with nested ``overrides`` applied; unknown keys raise ConfigError.

    ``where``/``keys``: the file and key path the overrides came from, for error messages.
    """
    return from_dict(ModelConfig, model_data(preset, overrides), where=where, keys=keys)


def replace(cfg: ModelConfig, **changes: Any) -> ModelConfig:
    """dataclasses.replace for the top level (e.g. the robot's action/state dims)."""
    return dataclasses.replace(cfg, **changes)
