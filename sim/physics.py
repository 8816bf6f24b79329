"""The pybullet client every env owns: opened headless and quiet, closed exactly once."""

from __future__ import annotations

import contextlib

import pybullet as p
import pybullet_data
from pybullet_utils import bullet_client

from sim.quiet import quiet_fds


class PhysicsOwner:
    """Mixin: ``self._p`` is a private DIRECT client (TinyRenderer, no window, no GPU)."""

    _p: bullet_client.BulletClient | None

    def _connect(self) -> None:
        with quiet_fds():  # pybullet prints its build banner on stdout: keep --json clean
            self._p = bullet_client.BulletClient(connection_mode=p.DIRECT)
        self._p.setAdditionalSearchPath(pybullet_data.getDataPath())

    def close(self) -> None:
        """Disconnect the physics client (idempotent)."""
        if getattr(self, "_p", None) is not None:
            with contextlib.suppress(p.error):
                self._p.disconnect()
            self._p = None

    def __del__(self) -> None:
        self.close()
