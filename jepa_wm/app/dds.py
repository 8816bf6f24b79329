"""Loopback-only DDS for the nodes on one host: the Fast DDS profile and the environment for it.

Usage::

    env = loopback_dds_env(os.environ)      # before starting a node process (or rclpy.init)

Why not just ``ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST``: in that mode rmw_fastrtps (9.3, Kilted)
appends its own transports to whatever the XML profile says: an unrestricted UDPv4 transport and
an any-address unicast locator. Every node then has receive sockets on 0.0.0.0 and one bound to
the host's external address (measured by tests/ros/test_ros_dds_loopback.py). With
``SYSTEM_DEFAULT`` rmw_fastrtps leaves the participant to the XML profile, and
``fastdds_loopback.xml`` binds to 127.0.0.1 only, sends no multicast, and moves frames through
shared memory (640x480 and 1280x720 rgb8 at 30 Hz arrive; see ``jepa-wm bench ros --frame``).

The profile is applied only where the user asked for LOCALHOST and has no Fast DDS profile of
their own; SUBNET (robots on several machines), another RMW, the user's own XML or
``JEPA_WM_DDS_PROFILE=off`` (rmw's own LOCALHOST set-up, the benchmark's baseline) are left as
they are. An unreadable profile file is never applied (SYSTEM_DEFAULT without it would discover
over the whole subnet).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

PROFILE = Path(__file__).with_name("fastdds_loopback.xml")
PROFILE_VARS = ("FASTDDS_DEFAULT_PROFILES_FILE", "FASTRTPS_DEFAULT_PROFILES_FILE")


def _profile_ok(path: Path) -> bool:
    try:
        return ET.parse(path).getroot().tag.endswith("dds")
    except (OSError, ET.ParseError):
        return False


def loopback_dds_env(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``env`` with the loopback-only Fast DDS profile applied where it should be.

    Applied when ROS_AUTOMATIC_DISCOVERY_RANGE is LOCALHOST, the RMW is Fast DDS (unset or
    rmw_fastrtps_cpp), no Fast DDS profile file is set and JEPA_WM_DDS_PROFILE is not "off": then FASTDDS_DEFAULT_PROFILES_FILE
    points at fastdds_loopback.xml and the range becomes SYSTEM_DEFAULT (so rmw_fastrtps adds no
    transport of its own). Otherwise ``env`` is returned unchanged (as a dict).
    """
    out = dict(env)
    if out.get("ROS_AUTOMATIC_DISCOVERY_RANGE", "").upper() != "LOCALHOST":
        return out
    if out.get("JEPA_WM_DDS_PROFILE", "").lower() == "off":
        return out
    if out.get("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp") not in ("", "rmw_fastrtps_cpp"):
        return out
    if any(out.get(v) for v in PROFILE_VARS) or not _profile_ok(PROFILE):
        return out
    out["FASTDDS_DEFAULT_PROFILES_FILE"] = str(PROFILE)
    out["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "SYSTEM_DEFAULT"
    return out
