"""Real-robot side: the Robot interface, robot descriptions and limits, IK, camera capture.

``hardware/robots/<name>.yaml`` is the one description of each robot (URDF, joints and links,
IK rest pose, action and state names, action bounds, an arm's workspace), loaded as a frozen
``limits.RobotDescription`` by ``limits.load_robot``. The simulator, the safety adapters, the
ROS adapter nodes and the planner node all read a robot's names, bounds and poses from it.
"""
