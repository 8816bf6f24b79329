"""A rerun (``rerun-sdk``, optional extra) recording of an episode for interactive inspection.

Timeline ``step``; entities::

    world/external        Image  the 256 px render from a person's viewpoint
    planner/<camera>      Image  what the planner sees, per camera
    goal                  Image  the goal image it aims at (the current subgoal)
    energy                Scalars the energy to that goal
    state/<name>          Scalars proprioception (metres, radians, ...)
    action/<name>         Scalars the applied action
    plan                  Tensor  [H, A] the plan after the step (its first row was applied)

Open it with ``rerun FILE.rrd``.
"""

from __future__ import annotations

from pathlib import Path

from jepa_wm.app.viz import EpisodeRecord
from jepa_wm.errors import ConfigError


def write_rerun(rec: EpisodeRecord, path: str | Path) -> None:
    """Write ``rec`` to the .rrd file ``path``. Raises ConfigError without rerun-sdk."""
    try:
        import rerun as rr
    except ImportError:
        raise ConfigError(
            "--rerun needs the rerun-sdk package (pip install 'jepa-wm[rerun]')"
        ) from None
    stream = rr.RecordingStream(f"jepa-wm-viz-{rec.env}")
    stream.save(str(path))
    try:
        for t, (ext, views) in enumerate(zip(rec.external, rec.views, strict=True)):
            stream.set_time("step", sequence=t)
            stream.log("world/external", rr.Image(ext))
            for cam, img in views.items():
                stream.log(f"planner/{cam}", rr.Image(img))
            stream.log("goal", rr.Image(rec.goals[t]))
            for name, value in zip(rec.state_names, rec.states[t], strict=True):
                stream.log(f"state/{name}", rr.Scalars(float(value)))
            if t < len(rec.energies):
                stream.log("energy", rr.Scalars(rec.energies[t]))
                for name, value in zip(rec.action_names, rec.actions[t], strict=True):
                    stream.log(f"action/{name}", rr.Scalars(float(value)))
            if t < len(rec.plans):
                stream.log("plan", rr.Tensor(rec.plans[t], dim_names=("step", "action")))
    finally:
        stream.flush()
        stream.disconnect()
