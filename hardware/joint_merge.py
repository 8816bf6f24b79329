"""One joint state from several JointState publishers.

Real robots often publish their joints on ``/joint_states`` as separate messages: the arm's
driver its seven joints at 100-1000 Hz, the gripper's driver its fingers at 10-50 Hz (a Franka
with a Franka Hand, a UR with a Robotiq). ``JointStateMerger`` keeps the latest value of each
wanted joint and yields the full vector whenever a message arrives and every joint has a value
no older than ``max_age_s``. A message that carries all joints gives exactly its own values, so
a robot that publishes one message per cycle sees no change. The bag converter and the live
nodes use this one class.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class JointStateMerger:
    """Merge partial JointState messages into the vector of ``joints``.

    ``update(names, values, stamp_s)``: ``values`` is (len(names), F) (or (len(names),) for one
    field); returns (len(joints), F) float64 (or (len(joints),)) once complete, else None.
    """

    def __init__(self, joints: Sequence[str], max_age_s: float = 0.25) -> None:
        if max_age_s <= 0:
            raise ValueError("max_age_s must be > 0")
        self.joints = tuple(joints)
        self.max_age_s = float(max_age_s)
        self._index = {j: i for i, j in enumerate(self.joints)}
        self._values: np.ndarray | None = None  # (J, F)
        self._stamp = np.full(len(self.joints), -np.inf)
        self.seen: set[str] = set()  # every name any message carried (for error messages)

    def update(
        self, names: Sequence[str], values: np.ndarray | Sequence[float], stamp_s: float
    ) -> np.ndarray | None:
        """Record this message's wanted joints; the merged vector, or None if still incomplete
        (a joint never seen, or last seen more than ``max_age_s`` before ``stamp_s``)."""
        vals = np.asarray(values, np.float64)
        flat = vals.ndim == 1
        vals = vals.reshape(len(names), -1)
        if self._values is None or self._values.shape[1] != vals.shape[1]:
            self._values = np.zeros((len(self.joints), vals.shape[1]))
        self.seen.update(names)
        hit = False
        for row, name in enumerate(names):
            i = self._index.get(name)
            if i is not None:
                self._values[i] = vals[row]
                self._stamp[i] = stamp_s
                hit = True
        if not hit or np.any(stamp_s - self._stamp > self.max_age_s):
            return None
        out = self._values.copy()
        return out[:, 0] if flat else out

    def missing(self) -> list[str]:
        """The wanted joints no message has carried yet."""
        return [j for j in self.joints if not np.isfinite(self._stamp[self._index[j]])]
