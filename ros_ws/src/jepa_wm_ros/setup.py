"""ament_python package of the jepa-wm ROS 2 nodes.

`pip install ros_ws/src/jepa_wm_ros` (what `make install` does) puts the data files under the
venv prefix (share/jepa_wm_ros, share/ament_index) and the console scripts in bin/; colcon puts
the scripts in lib/jepa_wm_ros/ (setup.cfg). `jepa-wm launch` resolves both.
"""

from setuptools import setup

PACKAGE = "jepa_wm_ros"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=[PACKAGE],
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
    ],
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
        ],
    },
)
