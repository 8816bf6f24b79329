"""Composition layer: wires the core (data, models) to planners, sim and hardware.

``policy.WorldModelPolicy`` is the one closed loop (observe, encode, plan, act) that `jepa-wm
eval`, the bench and the ROS planner node run; its subgoals advance by
``planners.subgoals.SubgoalSequencer``, the rule the ROS task node applies too.

``policy.PolicyConfig`` is the schema of a latent-MPC policy (nested ``planner:``, ``cost:`` and
``mpc:`` sections); ``policy_files`` loads each task's tuned one from
``jepa_wm/configs/policy/<env>.yaml`` for ``jepa-wm eval`` (``mpc_eval``), ``jepa-wm bench
planner`` and the ROS planner node.
"""
