"""Franka Panda tabletop: the robot, IK control, cameras and goal rendering shared by arm tasks.

Control (all tasks): 20 Hz actions, 240 Hz physics (12 substeps per action).
Action (7): [dx, dy, dz, droll, dpitch, dyaw, dgripper], deltas of the *commanded* end-effector
pose (the ``panda_grasptarget`` link, between the fingertips) per control step, executed through
IK with a null-space rest pose. Orientation is expressed relative to "gripper pointing down"
(so 0 is the nominal top-down grasp and angles never wrap near +-pi).
State (7): [x, y, z, roll, pitch, yaw, gripper_opening] measured from the simulator.
The world frame has the robot base at the origin and the table surface at z = 0.

The robot itself (URDF, joint and link names, IK rest pose, action and state names, action
bounds, gripper range, commanded-pose workspace) is read from ``hardware/robots/panda.yaml``
(``hardware.limits.load_robot``), the description the ROS adapters and planner node read too;
only simulation settings (motor forces, finger friction, cameras) live here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pybullet as p

from hardware.ik import indices_of, name_indices
from hardware.interfaces import Observation
from hardware.limits import load_robot
from sim.camera import (
    CameraSpec,
    Lighting,
    jitter_camera,
    pinhole_intrinsics,
    random_lighting,
    render,
)
from sim.physics import PhysicsOwner

PANDA = load_robot("panda")  # hardware/robots/panda.yaml: the one description of the robot
REST_POSE = PANDA.rest_pose  # IK null-space rest pose (7,), radians
ARM_FORCES = (87.0, 87.0, 87.0, 87.0, 12.0, 12.0, 12.0)
MAX_OPENING = PANDA.gripper.max_opening  # metres between the fingers (each finger half of it)

# Per-step action bounds: 3 cm translation (0.6 m/s), 0.15 rad rotation, 2 cm gripper opening.
FRANKA_ACTION_SPEC = PANDA.action_spec()
FRANKA_STATE_NAMES = PANDA.state_names

# Commanded-pose workspace (metres / radians relative to gripper-down).
WS_LOW = np.array(PANDA.workspace.low)
WS_HIGH = np.array(PANDA.workspace.high)  # z capped so the hand stays in view
RPY_LIMIT = np.array(PANDA.workspace.rpy_limit)
MAX_LEAD = PANDA.workspace.max_lead  # the commanded position never runs this far ahead

# Diagonal front view of the workspace; a 5 cm cube is ~5 px at 64 px, ~10 px at 128 px.
MAIN_CAMERA = CameraSpec(eye=(1.2, 0.4, 0.6), target=(0.45, 0.0, 0.12), fov_deg=42.0)
# A person's view for videos (jepa-wm viz): the whole arm and table from the front left.
EXTERNAL_CAMERA = CameraSpec(eye=(1.25, -0.95, 0.85), target=(0.3, 0.0, 0.3), fov_deg=55.0)


@dataclass
class Config:
    """A robot + object configuration to render (goal and subgoal images).

    ee_pos (3,), ee_rpy (3,) relative to gripper-down, opening in metres,
    objects: body id -> (position (3,), quaternion (4,)).
    """

    ee_pos: np.ndarray
    opening: float
    ee_rpy: np.ndarray = field(default_factory=lambda: np.zeros(3))
    objects: dict[int, tuple[Any, Any]] = field(default_factory=dict)


class FrankaEnv(PhysicsOwner):
    """Base class of the Panda tasks. Subclasses implement the scene, expert and success test."""

    action_spec = FRANKA_ACTION_SPEC
    state_names = FRANKA_STATE_NAMES
    fps = 20.0
    substeps = 12
    max_steps = 100
    name = "franka"

    def __init__(self, image_size: int = 64, wrist_camera: bool = False) -> None:
        self.image_size = int(image_size)
        self.wrist_camera = bool(wrist_camera)
        self._connect()
        self._down = self._p.getQuaternionFromEuler((math.pi, 0.0, 0.0))
        self._down_inv = self._p.invertTransform((0, 0, 0), self._down)[1]
        self.camera = MAIN_CAMERA
        self.light = Lighting()
        self.seed: int | None = None
        self._obs: Observation | None = None
        self._step = 0
        self.reset(seed=0)

    # ----------------------------------------------------------------- Robot interface
    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> Observation:
        """Rebuild the scene from ``seed`` (deterministic) and return the first observation."""
        self.seed = int(seed) if seed is not None else 0
        rng = np.random.default_rng(self.seed)
        self._p.resetSimulation()
        self._p.setGravity(0, 0, -9.81)
        self._p.setTimeStep(1.0 / (self.fps * self.substeps))
        self._p.setPhysicsEngineParameter(numSolverIterations=50)
        self._build_world(rng)
        self._build_task(rng)
        start = self._sample_start(rng)
        self._set_robot(start.ee_pos, start.ee_rpy, start.opening)
        self._target_pos = np.asarray(start.ee_pos, dtype=np.float64).copy()
        self._target_rpy = np.asarray(start.ee_rpy, dtype=np.float64).copy()
        self._target_open = float(start.opening)
        self._hold_robot()
        for _ in range(self.substeps):  # let objects settle under gravity
            self._p.stepSimulation()
        self._step = 0
        self._obs = None
        self._configs = self._subgoal_configs()  # fixed at reset: later object motion is ignored
        self._subgoals: list[Observation | None] = [None] * len(self._configs)
        return self.get_observation()

    def get_observation(self) -> Observation:
        """The current observation; rendered once per control step and cached."""
        if self._obs is None:
            images = {"wrist": self._render_wrist()} if self.wrist_camera else {}
            self._obs = Observation(
                rgb=render(self._p, self.camera, self.image_size, self.light),
                state=self._state(),
                timestamp=self._step / self.fps,
                images=images,
            )
        return self._obs

    def send_action(self, action: np.ndarray) -> np.ndarray:
        """Clip (NaN -> 0), move the commanded pose, run 12 physics substeps; return applied (7,)."""
        a = self.action_spec.clip(action)
        ee = self._ee_pos()
        target = np.clip(self._target_pos + a[:3], WS_LOW, WS_HIGH)
        lead = target - ee
        dist = float(np.linalg.norm(lead))
        if dist > MAX_LEAD:  # no wind-up when the hand is blocked (table, cube)
            target = ee + lead * (MAX_LEAD / dist)
        self._target_pos = target
        self._target_rpy = np.clip(self._target_rpy + a[3:6], -RPY_LIMIT, RPY_LIMIT)
        self._target_open = float(np.clip(self._target_open + a[6], 0.0, MAX_OPENING))
        self._command(self._target_pos, self._target_rpy, self._target_open)
        for _ in range(self.substeps):
            self._p.stepSimulation()
        self._step += 1
        self._obs = None
        return a

    # ----------------------------------------------------------------- task extras
    def goal_observation(self) -> Observation:
        """Observation of the goal configuration (the last subgoal)."""
        return self._subgoal(len(self._configs) - 1)

    def subgoals(self) -> list[Observation]:
        """Subgoal observations in order (the goal last), from the scene as it was at reset."""
        return [self._subgoal(i) for i in range(len(self._configs))]

    def _subgoal(self, i: int) -> Observation:
        # Rendered lazily (2-4 frames cost as much as a few steps) and cached per episode.
        if self._subgoals[i] is None:
            self._subgoals[i] = self._render_config(self._configs[i])
        return self._subgoals[i]

    def info(self) -> dict[str, Any]:
        """Privileged extras for logging (JSON-able)."""
        return {"seed": self.seed, "step": self._step, "ee_pos": self._ee_pos().tolist()}

    def joint_positions(self) -> np.ndarray:
        """Measured joints (9,): the 7 arm joints then the 2 finger joints (radians / metres)."""
        ids = (*self.arm_joints, *self.finger_joints)
        return np.array([self._p.getJointState(self.robot, j)[0] for j in ids])

    def camera_info(self) -> dict[str, dict]:
        """Camera name -> extrinsics/intrinsics (the ``rgb`` key is the main camera)."""
        cams = {"rgb": {"type": "fixed_third_person", **self.camera.to_dict(self.image_size)}}
        if self.wrist_camera:
            cams["wrist"] = {
                "type": "hand_mounted",
                "fov_deg": 70.0,
                **pinhole_intrinsics(self.image_size, 70.0),
            }
        return cams

    # ----------------------------------------------------------------- subclass hooks
    def _build_task(self, rng: np.random.Generator) -> None:
        raise NotImplementedError

    def _sample_start(self, rng: np.random.Generator) -> Config:
        pos = np.array([rng.uniform(0.35, 0.55), rng.uniform(-0.15, 0.15), rng.uniform(0.15, 0.25)])
        return Config(ee_pos=pos, opening=MAX_OPENING)

    def _subgoal_configs(self) -> list[Config]:
        raise NotImplementedError

    def is_success(self) -> bool:
        raise NotImplementedError

    def expert_action(self) -> np.ndarray:
        raise NotImplementedError

    # ----------------------------------------------------------------- world
    def _build_world(self, rng: np.random.Generator) -> None:
        self.light = random_lighting(rng)
        self.camera = jitter_camera(MAIN_CAMERA, rng, pos_std=0.01)
        self.plane = self._p.loadURDF("plane.urdf")
        tint = rng.uniform(0.75, 1.0, 3)
        self._p.changeVisualShape(self.plane, -1, rgbaColor=[*tint, 1.0])
        self.robot = self._p.loadURDF(PANDA.urdf, useFixedBase=True)
        self._resolve_indices()
        # IK keeps the URDF's own joint limits (the description's datasheet ones are narrower).
        info = [
            self._p.getJointInfo(self.robot, j) for j in (*self.arm_joints, *self.finger_joints)
        ]
        self._ll = [i[8] for i in info]
        self._ul = [i[9] for i in info]
        self._jr = [u - lo for lo, u in zip(self._ll, self._ul, strict=True)]
        self._rest = [*REST_POSE, *(MAX_OPENING / 2.0 for _ in self.finger_joints)]
        for j in self.finger_joints:
            # Grippy, anchored fingertips make grasps by imperfect policies forgiving.
            self._p.changeDynamics(self.robot, j, lateralFriction=2.0, frictionAnchor=True)
        gear = self._p.createConstraint(
            self.robot, self.finger_joints[0], self.robot, self.finger_joints[1], p.JOINT_GEAR,
            (1, 0, 0), (0, 0, 0), (0, 0, 0),
        )  # fmt: skip
        self._p.changeConstraint(gear, gearRatio=-1, erp=0.1, maxForce=50)

    def _resolve_indices(self) -> None:
        """The description's joint and link names -> this URDF's indices (LimitsError if absent)."""
        by_name = name_indices(self._p, self.robot)
        arm, fingers = PANDA.joint_names, PANDA.gripper.joints
        links = (PANDA.ee_link, PANDA.wrist_camera_link)
        idx = indices_of(by_name, (*arm, *fingers, *links), PANDA.name, PANDA.urdf)
        self.arm_joints = tuple(idx[: len(arm)])
        self.finger_joints = tuple(idx[len(arm) : len(arm) + len(fingers)])
        self._ee_link, self._hand_link = idx[-2:]

    # ----------------------------------------------------------------- robot helpers
    def _orn(self, rpy: np.ndarray) -> tuple:
        q = self._p.getQuaternionFromEuler([float(x) for x in rpy])
        return self._p.multiplyTransforms((0, 0, 0), q, (0, 0, 0), self._down)[1]

    def _ik(self, pos: np.ndarray, rpy: np.ndarray) -> list[float]:
        q = self._p.calculateInverseKinematics(
            self.robot, self._ee_link, [float(x) for x in pos], self._orn(rpy),
            lowerLimits=self._ll, upperLimits=self._ul, jointRanges=self._jr,
            restPoses=self._rest, maxNumIterations=50, residualThreshold=1e-5,
        )  # fmt: skip
        return list(q[:7])

    def _set_robot(self, pos: np.ndarray, rpy: np.ndarray, opening: float) -> None:
        """Teleport the arm to an end-effector pose (iterated IK) with the given opening."""
        for j, q in zip(self.arm_joints, REST_POSE, strict=True):
            self._p.resetJointState(self.robot, j, q)
        for _ in range(12):
            for j, q in zip(self.arm_joints, self._ik(pos, rpy), strict=True):
                self._p.resetJointState(self.robot, j, q)
            if np.linalg.norm(self._ee_pos() - pos) < 1e-3:
                break
        for j in self.finger_joints:
            self._p.resetJointState(self.robot, j, opening / 2.0)

    def _hold_robot(self) -> None:
        q = [self._p.getJointState(self.robot, j)[0] for j in self.arm_joints]
        self._p.setJointMotorControlArray(
            self.robot, self.arm_joints, p.POSITION_CONTROL, targetPositions=q, forces=ARM_FORCES
        )
        self._command_fingers(self._target_open)

    def _command(self, pos: np.ndarray, rpy: np.ndarray, opening: float) -> None:
        self._p.setJointMotorControlArray(
            self.robot, self.arm_joints, p.POSITION_CONTROL, targetPositions=self._ik(pos, rpy),
            forces=ARM_FORCES,
        )  # fmt: skip
        self._command_fingers(opening)

    def _command_fingers(self, opening: float) -> None:
        for j in self.finger_joints:
            self._p.setJointMotorControl2(
                self.robot, j, p.POSITION_CONTROL, targetPosition=opening / 2.0, force=40.0
            )

    def _ee_pos(self) -> np.ndarray:
        s = self._p.getLinkState(self.robot, self._ee_link, computeForwardKinematics=True)
        return np.asarray(s[4], dtype=np.float64)

    def _opening(self) -> float:
        return float(sum(self._p.getJointState(self.robot, j)[0] for j in self.finger_joints))

    def _state(self) -> np.ndarray:
        s = self._p.getLinkState(self.robot, self._ee_link, computeForwardKinematics=True)
        q_rel = self._p.multiplyTransforms((0, 0, 0), s[5], (0, 0, 0), self._down_inv)[1]
        rpy = self._p.getEulerFromQuaternion(q_rel)
        return np.array([*s[4], *rpy, self._opening()], dtype=np.float32)

    def _body_pose(self, body: int) -> tuple[np.ndarray, np.ndarray]:
        pos, orn = self._p.getBasePositionAndOrientation(body)
        return np.asarray(pos), np.asarray(orn)

    def _spawn_cube(self, rng: np.random.Generator, xy: np.ndarray, yaw: float) -> None:
        """A cube_small (5 cm) scaled 0.8-1.1 with a random saturated colour; sets self.cube."""
        self.cube_scale = float(rng.uniform(0.8, 1.1))
        self.cube_size = 0.05 * self.cube_scale
        hue = rng.uniform(0.0, 1.0)
        rgb = _hsv_to_rgb(hue, rng.uniform(0.7, 1.0), rng.uniform(0.7, 1.0))
        orn = self._p.getQuaternionFromEuler((0.0, 0.0, float(yaw)))
        pos = [float(xy[0]), float(xy[1]), self.cube_size / 2.0]
        self.cube = self._p.loadURDF("cube_small.urdf", pos, orn, globalScaling=self.cube_scale)
        self._p.changeVisualShape(self.cube, -1, rgbaColor=[*rgb, 1.0])
        self.cube_color = [float(x) for x in rgb]

    def _cube_yaw(self) -> float:
        """Cube yaw folded into [-pi/4, pi/4) (the cube is symmetric under 90 degree turns)."""
        yaw = self._p.getEulerFromQuaternion(self._body_pose(self.cube)[1])[2]
        return float((yaw + math.pi / 4) % (math.pi / 2) - math.pi / 4)

    def _touching(self, body: int, link: int) -> bool:
        return len(self._p.getContactPoints(self.robot, body, link)) > 0

    # ----------------------------------------------------------------- rendering
    def render_external(self, size: int = 256) -> np.ndarray:
        """uint8 [size, size, 3]: the scene from EXTERNAL_CAMERA (for people; never a policy input)."""
        return render(self._p, EXTERNAL_CAMERA, size, self.light)

    def _render_wrist(self) -> np.ndarray:
        s = self._p.getLinkState(self.robot, self._hand_link, computeForwardKinematics=True)
        pos, rot = np.asarray(s[4]), np.asarray(self._p.getMatrixFromQuaternion(s[5])).reshape(3, 3)
        eye = pos + rot @ np.array([0.06, 0.0, 0.0])
        cam = CameraSpec(
            eye=tuple(eye), target=tuple(pos + rot @ np.array([0.0, 0.0, 0.3])),
            up=tuple(rot @ np.array([1.0, 0.0, 0.0])), fov_deg=70.0, near=0.01, far=3.0,
        )  # fmt: skip
        return render(self._p, cam, self.image_size, self.light)

    def _render_config(self, cfg: Config) -> Observation:
        """Render a configuration without disturbing the episode (saveState/restoreState)."""
        sid = self._p.saveState()
        try:
            self._set_robot(np.asarray(cfg.ee_pos), np.asarray(cfg.ee_rpy), cfg.opening)
            for body, (pos, orn) in cfg.objects.items():
                self._p.resetBasePositionAndOrientation(body, list(pos), list(orn))
            images = {"wrist": self._render_wrist()} if self.wrist_camera else {}
            return Observation(
                rgb=render(self._p, self.camera, self.image_size, self.light),
                state=self._state(),
                timestamp=0.0,
                images=images,
            )
        finally:
            self._p.restoreState(sid)
            self._p.removeState(sid)


def _hsv_to_rgb(h: float, s: float, v: float) -> tuple[float, float, float]:
    import colorsys

    return colorsys.hsv_to_rgb(h, s, v)
