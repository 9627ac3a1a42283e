"""This machine's addresses on its networks, for links a phone in the room can open.

Read from the interfaces themselves (Linux ioctls), so nothing is sent on
the network and no name is resolved; elsewhere, the address the system would
use to reach a documentation address (a UDP socket's connect sends nothing).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
import sys

SIOCGIFFLAGS = 0x8913
SIOCGIFADDR = 0x8915
IFF_UP = 0x1
IFF_LOOPBACK = 0x8
# Interfaces a phone on the same Wi-Fi or wire is likely to reach, listed first.
PHYSICAL = ("wl", "en", "eth")


def _ioctl(sock: socket.socket, request: int, name: str) -> bytes | None:
    import fcntl

    try:
        return fcntl.ioctl(sock.fileno(), request, struct.pack("256s", name.encode()[:15]))
    except OSError:
        return None


def _linux() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in socket.if_nameindex():
            flags = _ioctl(sock, SIOCGIFFLAGS, name)
            if flags is None:
                continue
            bits = struct.unpack("H", flags[16:18])[0]
            if not bits & IFF_UP or bits & IFF_LOOPBACK:
                continue
            addr = _ioctl(sock, SIOCGIFADDR, name)
            if addr is not None:
                out.append((name, socket.inet_ntoa(addr[20:24])))
    return out


def _fallback() -> list[tuple[str, str]]:
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing address
        return [("", sock.getsockname()[0])]
    return []


def lan_addresses() -> list[str]:
    """Non-loopback IPv4 addresses of the interfaces that are up, likeliest first, each once."""
    found = _linux() if sys.platform.startswith("linux") else []
    if not found:
        found = _fallback()
    order = sorted(range(len(found)), key=lambda i: (0 if found[i][0].startswith(PHYSICAL) else 1, i))
    out: list[str] = []
    for addr in (found[i][1] for i in order):
        ip = ipaddress.ip_address(addr)
        if ip.is_loopback or ip.is_link_local or ip.is_unspecified or addr in out:
            continue
        out.append(addr)
    return out
