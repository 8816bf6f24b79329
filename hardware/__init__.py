"""Real-robot side: the Robot interface, robot descriptions and limits, IK, camera capture."""
