"""LeRobot v3 datasets in: read with pyarrow and PyAV, written into trajectory stores.

- ``meta``: ``meta/info.json``, the episode and task tables, the format version check.
- ``frames``: camera frames from per-camera mp4 files (PyAV) or PNG bytes in the parquet.
- ``reader.LeRobotReader``: episodes as store dicts (``rgb``, ``state``, ``action``, ...).
- ``importer.import_lerobot``: a dataset -> a trajectory store (``jepa-wm import-lerobot``).

The ``lerobot`` package itself is not a dependency (it pins torch below the version used here).
"""
