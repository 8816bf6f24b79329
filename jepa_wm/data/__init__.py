"""The Zarr trajectory store (diffusion_policy ReplayBuffer layout) and clip datasets.

- ``keys``: key names and format constants (``data/rgb``, ``meta/episode_ends``, ...).
- ``store.TrajectoryStore``: create/open/append (all or nothing, crash safe), metadata, stats.
- ``export.export_store``: copy into Zarr v2 (diffusion_policy/UMI readers) or v3.
- ``clips.ClipDataset`` / ``clips.split_episodes``: random T-frame clips for training.
- ``frames.FrameReader``: the fast per-frame chunk reader behind ClipDataset.

Submodules are imported explicitly (``from jepa_wm.data.store import TrajectoryStore``) so that
importing the package stays cheap (no torch for the store alone).
"""
