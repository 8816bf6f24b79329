"""pybullet worlds: Franka Panda tabletop tasks and a Husky mobile base, with scripted experts.

The robots are not described here: their URDFs, joint and link names, rest pose, action and
state names, bounds and workspace come from ``hardware/robots/<name>.yaml``
(``hardware.limits.load_robot``); sim/ holds only simulation settings and the tasks.
"""
