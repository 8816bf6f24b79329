"""Latent MPC planners (CEM, iCEM, MPPI, gradient, random shooting), costs and the MPC loop.

Planners see callables (a rollout and a cost), never a model class.
"""
