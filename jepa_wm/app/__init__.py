"""Composition layer: wires the core (data, models) to planners, sim and hardware.

``policy.WorldModelPolicy`` is the one closed loop (observe, encode, plan, act) that `jepa-wm
eval`, the bench and the ROS planner node run; its subgoals advance by
``planners.subgoals.SubgoalSequencer``, the rule the ROS task node applies too.
"""
