"""The sockets a process has open, read from /proc (Linux): who binds where."""

from __future__ import annotations

import os
import socket
import struct


def _address(hexaddr: str) -> tuple[str, int]:
    ip, port = hexaddr.split(":")
    if len(ip) == 8:
        addr = socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(ip, 16)))
    else:  # /proc/net/*6: four little-endian 32-bit words
        raw = bytes.fromhex(ip)
        words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
        addr = socket.inet_ntop(socket.AF_INET6, words)
    return addr, int(port, 16)


def census(pid: int) -> list[tuple[str, str, int]]:
    """[(protocol, bound address, port)] of every UDP/TCP socket (v4 and v6) of process ``pid``."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    found = []
    for proto in ("udp", "udp6", "tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{proto}") as f:
            next(f)
            for line in f:
                cols = line.split()
                if int(cols[9]) in inodes:
                    found.append((proto, *_address(cols[1])))
    return sorted(found)


def off_loopback(sockets: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """The sockets not bound to a loopback address (0.0.0.0, ::, or an interface's address)."""
    return [s for s in sockets if not (s[1].startswith("127.") or s[1] == "::1")]
