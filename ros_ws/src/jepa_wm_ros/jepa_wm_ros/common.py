"""Helpers every node shares: the ``main()`` skeleton, QoS profiles, freshness bookkeeping."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import QoSDurabilityPolicy, QoSProfile, QoSReliabilityPolicy, qos_profile_sensor_data

# Camera subscriptions: best effort, keep last 1 (a planner wants the newest frame, not a queue).
SENSOR_QOS = QoSProfile(
    depth=1,
    reliability=qos_profile_sensor_data.reliability,
    history=qos_profile_sensor_data.history,
)
# Goal images: reliable and latched, so a planner started later still gets the current goal.
LATCHED_QOS = QoSProfile(
    depth=1,
    reliability=QoSReliabilityPolicy.RELIABLE,
    durability=QoSDurabilityPolicy.TRANSIENT_LOCAL,
)


def ensure_ament_prefix() -> None:
    """pip installs our ament index under sys.prefix; the ROS wheels do not put it on the path."""
    parts = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
    if sys.prefix not in parts:
        os.environ["AMENT_PREFIX_PATH"] = os.pathsep.join([*parts, sys.prefix])


def run_node(factory: Callable[[], Node], args: list[str] | None = None) -> int:
    """``main()`` of every node: init, spin until Ctrl-C / shutdown, exit 1 on a user error."""
    ensure_ament_prefix()
    try:
        with rclpy.init(args=args):
            node = factory()
            try:
                rclpy.spin(node)
            finally:
                node.destroy_node()
    except (KeyboardInterrupt, ExternalShutdownException):
        return 0
    except ValueError as exc:  # JepaWmError-free user errors from hardware/ (LimitsError, ...)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        from jepa_wm.errors import JepaWmError

        if isinstance(exc, JepaWmError):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise
    return 0


def param(node: Node, name: str, default):  # noqa: ANN001, ANN201 - mirrors declare_parameter
    """Declare ``name`` with ``default`` and return its value.

    Dynamically typed, because launch files pass ``5`` where a float is meant (and ``-p x:=5``
    parses as an integer); callers convert with float()/int()/bool().
    """
    from rcl_interfaces.msg import ParameterDescriptor

    return node.declare_parameter(name, default, ParameterDescriptor(dynamic_typing=True)).value
