"""Copy a trajectory store into another Zarr format (v3 -> v2 for diffusion_policy/UMI readers).

Usage::

    export_store("demo.zarr", "demo_v2.zarr", zarr_format=2)

The copy keeps the layout (``data/<key>``, ``meta/episode_ends``), the chunking and every root
attribute; episodes are copied one at a time, so memory stays at one episode.
"""

from __future__ import annotations

from pathlib import Path

from jepa_wm.data import keys as K
from jepa_wm.data.store import TrajectoryStore


def export_store(
    src: str | Path, dst: str | Path, zarr_format: int = 2, overwrite: bool = False
) -> TrajectoryStore:
    """Write every committed episode of ``src`` into a new store at ``dst``; returns it."""
    source = TrajectoryStore.open(src, mode="r")
    attrs = source.attrs
    features = attrs.get("features", {})
    out = TrajectoryStore.create(
        dst,
        fps=attrs["fps"],
        source=attrs.get("source", {}),
        feature_names={k: f["names"] for k, f in features.items() if f.get("names")},
        cameras=attrs.get("cameras") or None,
        zarr_format=zarr_format,
        overwrite=overwrite,
    )
    for i in range(source.num_episodes):
        out.add_episode(source.episode(i))
    # Everything else (features with units, stats, user keys) is copied as it was.
    out.update_attrs({k: v for k, v in attrs.items() if k not in K.RESERVED_ATTRS})
    return out
