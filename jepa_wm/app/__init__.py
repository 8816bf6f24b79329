"""Composition layer: wires the core (data, models) to planners, sim and hardware.

``policy.PolicyConfig`` is the schema of a latent-MPC policy (nested ``cost:`` and ``mpc:``
sections); ``policy_files`` loads each task's tuned one from ``jepa_wm/configs/policy/<env>.yaml``
for ``jepa-wm eval`` (``mpc_eval``), ``jepa-wm bench planner`` and the ROS planner node.
"""
