"""Composition layer: wires the core (data, models) to planners, sim and hardware."""
