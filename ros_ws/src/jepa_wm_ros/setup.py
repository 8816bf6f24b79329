"""ament_python package of the jepa-wm ROS 2 nodes.

Both installs give an ament prefix that upstream `ros2 launch jepa_wm_ros FILE` runs:

- `colcon build` (ros_ws/): console scripts in `lib/jepa_wm_ros/` (setup.cfg);
- `pip install ros_ws/src/jepa_wm_ros` (what `make install` does): scripts in `bin/`, which
  `make install` links into `lib/jepa_wm_ros/`.

Either way `share/jepa_wm_ros/` holds the package's launch files and parameter files (the
repository's `launch/`, one place for them) and the default models the launch files name
(`$(dirname)/../models/tiny-grasp` resolves to `share/jepa_wm_ros/models/tiny-grasp`).
"""

import os
from pathlib import Path

from setuptools import setup

PACKAGE = "jepa_wm_ros"
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]  # ros_ws/src/jepa_wm_ros -> the repository
# The checkpoints the launch files default to (grasp and nav pipelines).
DEFAULT_MODELS = ("tiny-grasp", "tiny-nav", "tiny-views")  # the grasp launch file can name each


def _files(folder: Path, pattern: str) -> list[str]:
    # Relative to this folder: colcon refuses absolute data_files sources.
    found = sorted(os.path.relpath(f, HERE) for f in folder.glob(pattern) if f.is_file())
    if not found:
        raise SystemExit(f"setup.py: nothing matches {folder}/{pattern}; build from a full clone")
    return found


def _data_files() -> list[tuple[str, list[str]]]:
    share = f"share/{PACKAGE}"
    files = [
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (share, ["package.xml"]),
        (f"{share}/launch", _files(REPO / "launch", "*.launch.yaml")),
        (f"{share}/launch/params", _files(REPO / "launch/params", "*.yaml")),
    ]
    for model in DEFAULT_MODELS:
        files.append((f"{share}/models/{model}", _files(REPO / "models" / model, "*")))
    return files


setup(
    name=PACKAGE,
    version="0.1.0",
    packages=[PACKAGE],
    data_files=_data_files(),
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="jepa-wm maintainers",
    maintainer_email="maintainers@jepa-wm.invalid",
    description="ROS 2 nodes of the jepa-wm stack",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            f"sim_node = {PACKAGE}.sim_node:main",
            f"planner_node = {PACKAGE}.planner_node:main",
            f"arm_adapter = {PACKAGE}.arm_adapter_node:main",
            f"base_adapter = {PACKAGE}.base_adapter_node:main",
            f"camera_node = {PACKAGE}.camera_node:main",
            f"task_node = {PACKAGE}.task_node:main",
            f"recorder_node = {PACKAGE}.recorder_node:main",
            f"goal_capture = {PACKAGE}.goal_capture_node:main",
        ],
    },
)
