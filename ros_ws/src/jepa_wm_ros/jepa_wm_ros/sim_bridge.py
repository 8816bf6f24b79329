"""Drive a ``sim.registry`` env at the joint level (plain Python, no ROS; tested without ROS).

The sim envs take ee-delta actions (their own IK). A ros2_control-style joint target (J,) is
turned into the ee-delta that reaches it: FK of the target (hardware.ik, same URDF and frame as
the sim) minus the measured ee state, then clipped by the env itself. So a joint command reaches
the sim only through the env's action bounds, whatever the sender did.
"""

from __future__ import annotations

import numpy as np

from hardware.ik import Kinematics
from hardware.limits import RobotDescription


def _wrap(a: np.ndarray) -> np.ndarray:
    return (a + np.pi) % (2 * np.pi) - np.pi


def camera_matrix(info: dict) -> np.ndarray:
    """Pinhole K (3, 3) from one camera of ``env.camera_info()`` (fx, fy, cx, cy in pixels)."""
    return np.array(
        [[info["fx"], 0.0, info["cx"]], [0.0, info["fy"], info["cy"]], [0.0, 0.0, 1.0]],
        dtype=np.float64,
    )


class ArmSimBridge:
    """Joint targets + gripper opening -> one env control step."""

    def __init__(self, env, desc: RobotDescription) -> None:  # env: any sim arm env
        self.env = env
        self.desc = desc
        self.kin = Kinematics(desc)
        self.finger_names = desc.gripper.joints if desc.gripper else ()

    @property
    def joint_names(self) -> tuple[str, ...]:
        return (*self.desc.joint_names, *self.finger_names)

    def joint_positions(self) -> np.ndarray:
        """Measured arm + finger joints (J + F,), from the env's public ``joint_positions()``."""
        return np.asarray(self.env.joint_positions(), dtype=np.float64)[: len(self.joint_names)]

    def action_for(self, q_target: np.ndarray | None, opening: float | None) -> np.ndarray:
        """The ee-delta (7,) that moves the measured ee toward FK(q_target) and the opening."""
        state = np.asarray(self.env.get_observation().state, dtype=np.float64)
        a = np.zeros(7)
        if q_target is not None and np.all(np.isfinite(q_target)):
            pos, rpy = self.kin.fk(q_target)
            a[:3] = pos - state[:3]
            a[3:6] = _wrap(rpy - state[3:6])
        if opening is not None and np.isfinite(opening):
            a[6] = opening - state[6]
        return a

    def step(self, q_target: np.ndarray | None, opening: float | None) -> np.ndarray:
        """One env control step toward the targets; returns the applied (clipped) action (7,)."""
        return self.env.send_action(self.action_for(q_target, opening))


class VideoSink:
    """Writes RGB frames (H, W, 3) uint8 to an mp4 (cv2, mp4v); the file is valid after close()."""

    def __init__(self, path: str, fps: float) -> None:
        self.path, self.fps, self.writer, self.frames = path, fps, None, 0

    def write(self, rgb: np.ndarray) -> None:
        import cv2

        if self.writer is None:
            h, w = rgb.shape[:2]
            self.writer = cv2.VideoWriter(
                self.path, cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (w, h)
            )
        self.writer.write(np.ascontiguousarray(rgb[:, :, ::-1]))
        self.frames += 1

    def close(self) -> None:
        if self.writer is not None:
            self.writer.release()
            self.writer = None
