"""Look up a simulated task by name.

Usage::

    from sim.registry import make_env, ENV_NAMES
    env = make_env("franka-grasp", image_size=64, wrist_camera=True)
    obs = env.reset(seed=0)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.franka_base import FrankaEnv
    from sim.husky_nav import HuskyNavEnv

# name -> (module under sim, class name); imported lazily so `make_env` loads one task only.
_ENVS: dict[str, tuple[str, str]] = {
    "franka-reach": ("franka_reach", "FrankaReachEnv"),
    "franka-push": ("franka_push", "FrankaPushEnv"),
    "franka-grasp": ("franka_grasp", "FrankaGraspEnv"),
    "franka-pick-place": ("franka_grasp", "FrankaPickPlaceEnv"),
    "husky-nav": ("husky_nav", "HuskyNavEnv"),
}
ENV_NAMES: tuple[str, ...] = tuple(_ENVS)
IMAGE_SIZES: tuple[int, ...] = (64, 96, 128)


class UnknownEnvError(ValueError):
    """An env name or option that does not exist; the message lists the valid ones."""


def make_env(
    name: str, image_size: int = 64, wrist_camera: bool = False
) -> FrankaEnv | HuskyNavEnv:
    """Create the task ``name`` (a ``hardware.interfaces.Robot`` plus the sim extras).

    image_size: square side of every camera image (64, 96 or 128 px).
    wrist_camera: also render the hand camera (Franka) or an overhead camera (Husky) into
        ``Observation.images``.
    """
    if name not in _ENVS:
        raise UnknownEnvError(f"unknown env {name!r}; valid envs: {', '.join(ENV_NAMES)}")
    if int(image_size) not in IMAGE_SIZES:
        raise UnknownEnvError(
            f"image size {image_size} not supported; use one of {', '.join(map(str, IMAGE_SIZES))}"
        )
    module, cls = _ENVS[name]
    env_cls = getattr(importlib.import_module(f"sim.{module}"), cls)
    return env_cls(image_size=int(image_size), wrist_camera=bool(wrist_camera))
