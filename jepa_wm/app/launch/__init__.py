"""Run ROS 2 YAML launch files without the ROS 2 ``launch`` package.

``parse_launch_file`` turns a file (plus ``name:=value`` arguments) into a list of ``NodeSpec``;
``LaunchRunner`` starts each node as its own process group and shuts them all down cleanly.
The supported subset and its semantics are documented in ``parser.py``.
"""

from jepa_wm.app.launch.parser import NodeSpec, parse_launch_file
from jepa_wm.app.launch.runner import LaunchRunner, node_command

__all__ = ["LaunchRunner", "NodeSpec", "node_command", "parse_launch_file"]
