"""Pinhole cameras rendered with pybullet's TinyRenderer (CPU, works in DIRECT mode).

Rendering dominates episode cost (~25 ms per frame with the Panda meshes, nearly independent of
resolution), so envs render exactly one frame per camera per control step and cache it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pybullet as p


@dataclass(frozen=True)
class Lighting:
    """TinyRenderer light parameters; drawn per seed as a factor of variation."""

    direction: tuple[float, float, float] = (1.0, 1.0, 2.0)
    ambient: float = 0.6
    diffuse: float = 0.5
    specular: float = 0.05


def pinhole_intrinsics(size: int, fov_deg: float) -> dict[str, float]:
    """fx, fy, cx, cy (pixels) and the image size of a square camera with vertical ``fov_deg``."""
    f = size / (2.0 * math.tan(math.radians(fov_deg) / 2.0))
    return {"fx": f, "fy": f, "cx": size / 2.0, "cy": size / 2.0, "width": size, "height": size}


@dataclass(frozen=True)
class CameraSpec:
    """A square pinhole camera looking from ``eye`` to ``target``.

    fov_deg is the vertical field of view; near/far are the clipping planes (metres).
    """

    eye: tuple[float, float, float]
    target: tuple[float, float, float]
    up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    fov_deg: float = 45.0
    near: float = 0.02
    far: float = 10.0

    def intrinsics(self, size: int) -> dict[str, float]:
        """fx, fy, cx, cy (pixels) and the image size, for the store's camera metadata."""
        return pinhole_intrinsics(size, self.fov_deg)

    def to_dict(self, size: int) -> dict:
        """JSON-able description (extrinsics as eye/target/up, plus intrinsics)."""
        return {
            "eye": list(self.eye),
            "target": list(self.target),
            "up": list(self.up),
            "fov_deg": self.fov_deg,
            **self.intrinsics(size),
        }


def render(client, cam: CameraSpec, size: int, light: Lighting) -> np.ndarray:
    """Render an RGB frame (size, size, 3) uint8 with TinyRenderer."""
    view = client.computeViewMatrix(cam.eye, cam.target, cam.up)
    proj = client.computeProjectionMatrixFOV(cam.fov_deg, 1.0, cam.near, cam.far)
    _, _, rgba, _, _ = client.getCameraImage(
        size,
        size,
        view,
        proj,
        renderer=p.ER_TINY_RENDERER,
        lightDirection=list(light.direction),
        lightAmbientCoeff=light.ambient,
        lightDiffuseCoeff=light.diffuse,
        lightSpecularCoeff=light.specular,
        shadow=0,
        flags=p.ER_NO_SEGMENTATION_MASK,
    )
    return np.asarray(rgba, dtype=np.uint8).reshape(size, size, 4)[:, :, :3].copy()


def random_lighting(rng: np.random.Generator) -> Lighting:
    """A light from above with random azimuth/elevation and slightly varied intensity."""
    az = rng.uniform(-math.pi, math.pi)
    el = rng.uniform(math.radians(35), math.radians(75))
    d = (math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el))
    return Lighting(
        direction=tuple(float(x) for x in d),
        ambient=float(rng.uniform(0.5, 0.7)),
        diffuse=float(rng.uniform(0.35, 0.6)),
        specular=0.05,
    )


def jitter_camera(cam: CameraSpec, rng: np.random.Generator, pos_std: float) -> CameraSpec:
    """Small per-seed camera jitter: eye and target moved by N(0, pos_std) metres per axis."""
    eye = np.asarray(cam.eye) + rng.normal(0.0, pos_std, 3)
    target = np.asarray(cam.target) + rng.normal(0.0, pos_std / 2.0, 3)
    return CameraSpec(
        eye=tuple(float(x) for x in eye),
        target=tuple(float(x) for x in target),
        up=cam.up,
        fov_deg=cam.fov_deg,
        near=cam.near,
        far=cam.far,
    )
