"""Helpers every node shares: the ``main()`` skeleton, QoS profiles, freshness bookkeeping."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSDurabilityPolicy, QoSProfile, QoSReliabilityPolicy, qos_profile_sensor_data
from rclpy.signals import SignalHandlerOptions

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


def ensure_loopback_dds() -> None:
    """LOCALHOST discovery -> the loopback-only Fast DDS profile (jepa_wm.app.dds), pre-init."""
    from jepa_wm.app.dds import loopback_dds_env

    os.environ.update(loopback_dds_env(os.environ))


class _StopFlag:
    """SIGINT/SIGTERM handler: ask the spin loop to stop; a second signal interrupts at once."""

    def __init__(self) -> None:
        self.set = False

    def __call__(self, _signum: int, _frame: object) -> None:
        if self.set:
            raise KeyboardInterrupt
        self.set = True


def close_node(node: Node) -> None:
    """Destroy the node's timers first (no callback may run during teardown), then the node."""
    for timer in list(node.timers):
        node.destroy_timer(timer)
    node.destroy_node()


def run_node(factory: Callable[[], Node], args: list[str] | None = None) -> int:
    """``main()`` of every node: init, spin until SIGINT/SIGTERM, exit 1 on a user error.

    rclpy's own signal handler is off: it shuts the context down from another thread while a
    callback may still be publishing ("publisher's context is invalid"). Here a signal only sets
    a flag; the loop (0.1 s waits) stops, timers and node are destroyed (envs closed once), and
    only then is rclpy shut down.
    """
    ensure_ament_prefix()
    ensure_loopback_dds()  # before rclpy.init: rmw reads the environment when it starts
    stop = _StopFlag()
    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO):
            node = factory()
            executor = SingleThreadedExecutor(context=node.context)
            executor.add_node(node)
            try:
                while not stop.set and node.context.ok():
                    executor.spin_once(timeout_sec=0.1)
            finally:
                executor.remove_node(node)
                close_node(node)
                executor.shutdown(timeout_sec=1.0)
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
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 0


def param(node: Node, name: str, default):  # untyped: mirrors declare_parameter
    """Declare ``name`` with ``default`` and return its value.

    Dynamically typed, because launch files pass ``5`` where a float is meant (and ``-p x:=5``
    parses as an integer); callers convert with float()/int()/bool().
    """
    from rcl_interfaces.msg import ParameterDescriptor

    return node.declare_parameter(name, default, ParameterDescriptor(dynamic_typing=True)).value


def parse_views(text: str, is_arm: bool) -> tuple[str, ...]:
    """``"camera,wrist"`` -> ("camera", "wrist"): the main camera first, then the task's extra
    view (Franka ``wrist``, Husky ``overhead``). Raises ValueError naming the valid views."""
    extra = "wrist" if is_arm else "overhead"
    names = [v.strip() for v in text.split(",") if v.strip()]
    bad = [v for v in names if v not in ("camera", extra)]
    if bad or len(set(names)) != len(names):
        raise ValueError(f"views must name camera and/or {extra} once each, got {text!r}")
    return ("camera",) + ((extra,) if extra in names else ())


def view_prefix(view: str) -> str:
    """The topic namespace of a view: /camera for the main one, /<view>_camera for others."""
    return "/camera" if view == "camera" else f"/{view}_camera"
