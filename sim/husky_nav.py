"""husky-nav: drive a Clearpath Husky to a goal position in a walled room with obstacles.

Action (2): [v, omega] (m/s, rad/s), at 10 Hz (24 physics substeps of 1/240 s). The base is
driven by setting its planar velocity every substep (skid-steer wheel friction in pybullet turns
far too slowly to be useful); contacts with walls and obstacles are still resolved by physics.
State (3): [x, y, yaw]. Success: within 0.25 m of the goal position.

Cameras: ``rgb`` is the on-board forward camera (what a real robot sees). The goal image is the
on-board view from the goal pose, facing the direction of travel (start -> goal), so it shows the
walls and obstacles the robot should see on arrival. Walls have four different colours so a view
identifies the heading. ``wrist_camera=True`` adds an ``overhead`` top-down view of the room.

The robot (URDF, wheel joints, action and state names, twist limits) is read from
``hardware/robots/husky.yaml``, the description the base adapter and planner node read too; the
task caps the turn rate below the robot's limit (``TURN_RATE_CAP``).
"""

from __future__ import annotations

import colorsys
import math
from typing import Any

import numpy as np
import pybullet as p

from hardware.ik import indices_of, name_indices
from hardware.interfaces import ActionSpec, Observation
from hardware.limits import load_robot
from sim.camera import CameraSpec, Lighting, pinhole_intrinsics, random_lighting, render
from sim.physics import PhysicsOwner
from sim.quiet import quiet_fds

ROOM_HALF = 3.0
WALL_HEIGHT = 1.0
SUCCESS_RADIUS = 0.25
HUSKY = load_robot("husky")  # hardware/robots/husky.yaml: the one description of the robot
# The task's turn-rate cap (rad/s), under the Husky's own 2.0: the expert turns at most this fast,
# and every nav model and success rate was trained and measured with actions clipped to it.
TURN_RATE_CAP = 1.5
HUSKY_ACTION_SPEC = ActionSpec(
    names=HUSKY.action_names,
    low=np.maximum(HUSKY.action_spec().low, [-np.inf, -TURN_RATE_CAP]),
    high=np.minimum(HUSKY.action_spec().high, [np.inf, TURN_RATE_CAP]),
)
WHEEL_SIDES = (-1, 1, -1, 1)  # left, right, left, right: the order of HUSKY.wheel_joints
ONBOARD_FOV = 70.0
OVERHEAD = CameraSpec(eye=(0.0, -0.01, 7.5), target=(0.0, 0.0, 0.0), fov_deg=46.0)


def _wrap(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


def _seg_dist(pt: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab = b - a
    t = float(np.clip((pt - a) @ ab / max(ab @ ab, 1e-9), 0.0, 1.0))
    return float(np.linalg.norm(pt - (a + t * ab)))


class HuskyNavEnv(PhysicsOwner):
    """Drive to a goal 1.5-3.5 m away; obstacles never block the straight start-goal line."""

    name = "husky-nav"
    action_spec = HUSKY_ACTION_SPEC
    state_names = HUSKY.state_names
    fps = 10.0
    substeps = 24
    max_steps = 100

    def __init__(self, image_size: int = 64, wrist_camera: bool = False) -> None:
        self.image_size = int(image_size)
        self.wrist_camera = bool(wrist_camera)
        self._connect()
        self.light = Lighting()
        self._obs: Observation | None = None
        self._goal_obs: Observation | None = None
        self.reset(seed=0)

    # ----------------------------------------------------------------- Robot interface
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> Observation:
        """Rebuild the room from ``seed`` (deterministic) and return the first observation."""
        self.seed = int(seed) if seed is not None else 0
        rng = np.random.default_rng(self.seed)
        self._p.resetSimulation()
        self._p.setGravity(0, 0, -9.81)
        self._p.setTimeStep(1.0 / (self.fps * self.substeps))
        self.light = random_lighting(rng)
        self._cam_jitter = rng.normal(0.0, 0.01, 3)
        self._build_room(rng)
        self._sample_task(rng)
        self._build_obstacles(rng)
        with quiet_fds():  # husky.urdf prints inertia warnings
            orn = self._p.getQuaternionFromEuler((0, 0, float(self.start[2])))
            self.robot = self._p.loadURDF(HUSKY.urdf, [*self.start[:2], 0.15], orn)
        by_name = name_indices(self._p, self.robot)
        self.wheels = tuple(indices_of(by_name, HUSKY.wheel_joints, HUSKY.name, HUSKY.urdf))
        for j in self.wheels:
            self._p.changeDynamics(self.robot, j, lateralFriction=0.0)
        for _ in range(self.substeps):  # settle on the floor
            self._p.stepSimulation()
        self._step = 0
        self._obs = None
        self._goal_obs = None
        return self.get_observation()

    def get_observation(self) -> Observation:
        """On-board camera frame and [x, y, yaw]; rendered once per control step."""
        if self._obs is None:
            self._obs = self._observe(self._step / self.fps)
        return self._obs

    def send_action(self, action: np.ndarray) -> np.ndarray:
        """Clip [v, omega] (NaN -> 0), drive one 0.1 s control step; return the applied action."""
        a = self.action_spec.clip(action)
        v, w = float(a[0]), float(a[1])
        for j, side in zip(self.wheels, WHEEL_SIDES, strict=True):  # spin the wheels for the camera
            self._p.setJointMotorControl2(
                self.robot, j, p.VELOCITY_CONTROL, targetVelocity=(v + side * w * 0.28) / 0.165,
                force=5.0,
            )  # fmt: skip
        for _ in range(self.substeps):
            yaw = self.pose()[2]
            vz = self._p.getBaseVelocity(self.robot)[0][2]
            self._p.resetBaseVelocity(
                self.robot, [v * math.cos(yaw), v * math.sin(yaw), vz], [0.0, 0.0, w]
            )
            self._p.stepSimulation()
        self._step += 1
        self._obs = None
        return a

    # ----------------------------------------------------------------- task extras
    def pose(self) -> np.ndarray:
        """[x, y, yaw] of the base (world frame)."""
        pos, orn = self._p.getBasePositionAndOrientation(self.robot)
        return np.array([pos[0], pos[1], self._p.getEulerFromQuaternion(orn)[2]])

    def distance(self) -> float:
        return float(np.linalg.norm(self.pose()[:2] - self.goal[:2]))

    def is_success(self) -> bool:
        return self.distance() < SUCCESS_RADIUS

    def goal_observation(self) -> Observation:
        """On-board view from the goal pose (robot moved there, then restored)."""
        if self._goal_obs is None:
            sid = self._p.saveState()
            try:
                orn = self._p.getQuaternionFromEuler((0, 0, float(self.goal[2])))
                z = self._p.getBasePositionAndOrientation(self.robot)[0][2]
                self._p.resetBasePositionAndOrientation(self.robot, [*self.goal[:2], z], orn)
                self._goal_obs = self._observe(0.0)
            finally:
                self._p.restoreState(sid)
                self._p.removeState(sid)
        return self._goal_obs

    def subgoals(self) -> list[Observation]:
        return [self.goal_observation()]

    def expert_action(self) -> np.ndarray:
        """Turn toward the goal, drive when roughly facing it, slow down on arrival."""
        x, y, yaw = self.pose()
        dx, dy = self.goal[0] - x, self.goal[1] - y
        err = _wrap(math.atan2(dy, dx) - yaw)
        dist = math.hypot(dx, dy)
        w = float(np.clip(2.5 * err, -TURN_RATE_CAP, TURN_RATE_CAP))
        v = float(np.clip(0.9 * dist, 0.0, 1.0)) * max(math.cos(err), 0.0) ** 3
        return np.array([v, w], dtype=np.float32)

    def info(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "step": self._step,
            "pose": self.pose().tolist(),
            "goal": self.goal.tolist(),
            "distance": self.distance(),
            "obstacles": self.obstacles,
        }

    @property
    def camera(self) -> CameraSpec:
        """The on-board camera at the current pose (the ``rgb`` stream)."""
        return self._onboard_camera()

    def camera_info(self) -> dict[str, dict]:
        cams = {
            "rgb": {"type": "onboard_forward", "mount_xyz": [0.35, 0.0, 0.55], "pitch_deg": -12,
                    "fov_deg": ONBOARD_FOV, **pinhole_intrinsics(self.image_size, ONBOARD_FOV)},
        }  # fmt: skip
        if self.wrist_camera:
            cams["overhead"] = {"type": "fixed_top_down", **OVERHEAD.to_dict(self.image_size)}
        return cams

    # ----------------------------------------------------------------- scene
    def _box(self, half: list[float], pos: list[float], rgb: np.ndarray, yaw: float = 0.0) -> int:
        col = self._p.createCollisionShape(p.GEOM_BOX, halfExtents=half)
        vis = self._p.createVisualShape(p.GEOM_BOX, halfExtents=half, rgbaColor=[*rgb, 1.0])
        orn = self._p.getQuaternionFromEuler((0, 0, yaw))
        return self._p.createMultiBody(0, col, vis, pos, orn)

    def _build_room(self, rng: np.random.Generator) -> None:
        plane = self._p.loadURDF("plane.urdf")
        self._p.changeVisualShape(plane, -1, rgbaColor=[*rng.uniform(0.6, 0.9, 3), 1.0])
        hues = (rng.uniform() + np.arange(4) / 4.0) % 1.0  # four distinct wall colours
        h, t = ROOM_HALF, 0.05
        walls = [([t, h, WALL_HEIGHT / 2], [h + t, 0]), ([t, h, WALL_HEIGHT / 2], [-h - t, 0]),
                 ([h, t, WALL_HEIGHT / 2], [0, h + t]), ([h, t, WALL_HEIGHT / 2], [0, -h - t])]  # fmt: skip
        for (half, xy), hue in zip(walls, hues, strict=True):
            rgb = np.array(colorsys.hsv_to_rgb(hue, 0.55, 0.85))
            self._box(half, [*xy, WALL_HEIGHT / 2], rgb)

    def _sample_task(self, rng: np.random.Generator) -> None:
        m = ROOM_HALF - 0.7
        while True:
            start = rng.uniform(-m, m, 2)
            goal = rng.uniform(-m, m, 2)
            if 1.5 <= np.linalg.norm(goal - start) <= 3.5:
                break
        heading = math.atan2(goal[1] - start[1], goal[0] - start[0])
        self.start = np.array([*start, _wrap(heading + rng.uniform(-math.pi, math.pi))])
        self.goal = np.array([*goal, heading])

    def _build_obstacles(self, rng: np.random.Generator) -> None:
        """3-4 boxes, each >= 0.75 m from the start-goal segment and inside the room."""
        self.obstacles: list[dict[str, Any]] = []
        m = ROOM_HALF - 0.3
        for _ in range(200):
            if len(self.obstacles) >= int(rng.integers(3, 5)):
                break
            xy = rng.uniform(-m, m, 2)
            half = rng.uniform(0.12, 0.3, 2)
            if _seg_dist(xy, self.start[:2], self.goal[:2]) < 0.75 + max(half):
                continue
            if any(np.linalg.norm(xy - np.array(o["xy"])) < 0.9 for o in self.obstacles):
                continue
            height = float(rng.uniform(0.2, 0.6))
            rgb = np.array(colorsys.hsv_to_rgb(rng.uniform(), rng.uniform(0.6, 1), 0.8))
            yaw = float(rng.uniform(-math.pi, math.pi))
            self._box([*half, height / 2], [*xy, height / 2], rgb, yaw)
            self.obstacles.append({"xy": xy.tolist(), "half": half.tolist(), "height": height})

    # ----------------------------------------------------------------- cameras
    def render_external(self, size: int = 256) -> np.ndarray:
        """uint8 [size, size, 3]: the room from above (for people; never a policy input)."""
        return render(self._p, OVERHEAD, size, self.light)

    def _onboard_camera(self) -> CameraSpec:
        x, y, yaw = self.pose()
        c, s = math.cos(yaw), math.sin(yaw)
        eye = np.array([x + 0.35 * c, y + 0.35 * s, 0.55]) + self._cam_jitter
        ahead = 1.5
        target = np.array([x + (0.35 + ahead) * c, y + (0.35 + ahead) * s, 0.55 - ahead * 0.21])
        return CameraSpec(eye=tuple(eye), target=tuple(target), fov_deg=ONBOARD_FOV, near=0.05)

    def _observe(self, timestamp: float) -> Observation:
        images = {}
        if self.wrist_camera:
            images["overhead"] = render(self._p, OVERHEAD, self.image_size, self.light)
        return Observation(
            rgb=render(self._p, self._onboard_camera(), self.image_size, self.light),
            state=self.pose().astype(np.float32),
            timestamp=timestamp,
            images=images,
        )
