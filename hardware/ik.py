"""Generic forward and inverse kinematics from a robot's URDF, with pybullet in DIRECT mode.

The kinematic model lives in its own physics client (no GUI, no simulation stepping), so the
same code serves a real arm and the simulated one. IK uses pybullet's null-space solver with the
description's joint limits and rest pose, seeded from the current joints so that successive
small ee-deltas give small joint moves.

Usage::

    kin = Kinematics(load_robot("panda"))
    pos, rpy = kin.fk(q)                        # (3,), (3,) in the robot base frame
    q_target = kin.ik(pos + [0, 0, 0.01], rpy, q_seed=q)   # (J,)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

import numpy as np

from hardware.limits import LimitsError, RobotDescription


def name_indices(pb: Any, body: int, **client: int) -> dict[str, int]:
    """Joint and link names of a loaded URDF body -> index (a link's index is its joint's).

    ``pb`` is the pybullet module (pass ``physicsClientId=`` in ``client``) or a BulletClient.
    """
    out: dict[str, int] = {}
    for j in range(pb.getNumJoints(body, **client)):
        info = pb.getJointInfo(body, j, **client)
        out[info[1].decode()] = j
        out[info[12].decode()] = j
    return out


def indices_of(by_name: dict[str, int], names: Iterable[str], robot: str, urdf: str) -> list[int]:
    """The indices of ``names`` in ``by_name`` (from name_indices); LimitsError naming a missing one."""
    names = list(names)
    missing = [n for n in names if n not in by_name]
    if missing:
        raise LimitsError(f"{robot}: {missing[0]!r} not found in {urdf}")
    return [by_name[n] for n in names]


class Kinematics:
    """FK/IK of one arm (``desc.kind == "arm"``) in a private pybullet DIRECT client."""

    def __init__(self, desc: RobotDescription) -> None:
        import pybullet as p

        if desc.kind != "arm":
            raise LimitsError(f"{desc.name}: kinematics needs an arm, got kind {desc.kind!r}")
        self._p = p
        self.desc = desc
        self._cid = p.connect(p.DIRECT)
        self._body = p.loadURDF(desc.urdf_path(), useFixedBase=True, physicsClientId=self._cid)
        cid = {"physicsClientId": self._cid}
        by_name = name_indices(p, self._body, **cid)
        movable = [
            j
            for j in range(p.getNumJoints(self._body, **cid))
            if p.getJointInfo(self._body, j, **cid)[2] != p.JOINT_FIXED
        ]
        *self._arm, self._ee = indices_of(
            by_name, (*desc.joint_names, desc.ee_link), desc.name, desc.urdf
        )
        self._movable = movable  # IK returns one value per movable joint, in this order
        self._ik_cols = [movable.index(j) for j in self._arm]
        self._null_space = self._null_space_args()
        self._ref = p.getQuaternionFromEuler(list(desc.ee_reference_rpy))
        self._ref_inv = p.invertTransform((0, 0, 0), self._ref)[1]

    def _null_space_args(self) -> dict[str, list[float]]:
        lower, upper, rest = [], [], []
        arm = dict(zip(self._arm, range(len(self._arm)), strict=True))
        default_rest = self.desc.rest_pose or tuple(
            (self.desc.joint_lower + self.desc.joint_upper) / 2
        )
        for j in self._movable:
            if j in arm:
                k = arm[j]
                lower.append(self.desc.joint_lower[k])
                upper.append(self.desc.joint_upper[k])
                rest.append(default_rest[k])
            else:  # fingers and other non-arm joints: keep them where they are
                info = self._p.getJointInfo(self._body, j, physicsClientId=self._cid)
                lower.append(info[8])
                upper.append(info[9])
                rest.append(info[8])
        ranges = [u - lo for lo, u in zip(lower, upper, strict=True)]
        return {
            "lowerLimits": lower,
            "upperLimits": upper,
            "jointRanges": ranges,
            "restPoses": rest,
        }

    def _set(self, q: np.ndarray) -> None:
        for j, v in zip(self._arm, q, strict=True):
            self._p.resetJointState(self._body, j, float(v), physicsClientId=self._cid)

    def fk(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Joints (J,) -> ee position (3,), roll-pitch-yaw (3,) relative to ``ee_reference_rpy``."""
        self._set(np.asarray(q, dtype=np.float64))
        state = self._p.getLinkState(
            self._body, self._ee, computeForwardKinematics=True, physicsClientId=self._cid
        )
        rel = self._p.multiplyTransforms((0, 0, 0), state[5], (0, 0, 0), self._ref_inv)[1]
        return np.array(state[4]), np.array(self._p.getEulerFromQuaternion(rel))

    def ik(self, pos: np.ndarray, rpy: np.ndarray, q_seed: np.ndarray) -> np.ndarray:
        """Target ee pose (3,), (3,) -> joint positions (J,), seeded from ``q_seed`` (J,)."""
        self._set(np.asarray(q_seed, dtype=np.float64))
        rel = self._p.getQuaternionFromEuler([float(v) for v in rpy])
        quat = self._p.multiplyTransforms((0, 0, 0), rel, (0, 0, 0), self._ref)[1]
        sol = self._p.calculateInverseKinematics(
            self._body,
            self._ee,
            [float(v) for v in pos],
            quat,
            maxNumIterations=100,
            residualThreshold=1e-6,
            physicsClientId=self._cid,
            **self._null_space,
        )
        return np.array([sol[c] for c in self._ik_cols], dtype=np.float64)

    def close(self) -> None:
        """Disconnect the private physics client."""
        if self._cid is not None and self._p.isConnected(self._cid):
            self._p.disconnect(self._cid)
        self._cid = None

    def __del__(self) -> None:  # best effort; pybullet clients are process-global
        with contextlib.suppress(Exception):
            self.close()
