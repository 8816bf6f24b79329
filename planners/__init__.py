"""Latent MPC planners (CEM, iCEM, MPPI, gradient, random shooting), costs and the MPC pieces.

Planners see callables (a rollout and a cost), never a model class. ``mpc.RecedingHorizon``
replans and warm-starts; ``subgoals.SubgoalSequencer`` is the one rule for when a subgoal ends and
when an episode's budget is spent (`jepa-wm eval` through ``jepa_wm.app.policy.WorldModelPolicy``,
which is the closed loop, and the ROS ``task_node``).
"""
