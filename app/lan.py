"""This machine's addresses on its local networks, for links others in the room can open.

Read from the kernel (an ioctl per interface for IPv4, /proc/net/if_inet6 for
IPv6), never by resolving the host name: that could send a DNS query, and a
conference laptop's resolver may be slow or absent.  Standard library only.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
from pathlib import Path

SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address


def _ipv4(name: str) -> str | None:
    try:
        import fcntl
    except ImportError:  # not a Unix
        return None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            packed = fcntl.ioctl(s.fileno(), SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
        except OSError:
            return None  # no IPv4 address on this interface
    return socket.inet_ntoa(packed[20:24])


def _ipv6() -> list[tuple[int, str]]:
    """(interface index, address) of global-scope IPv6 addresses."""
    out = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            parts = line.split()
            if len(parts) < 6 or parts[3] != "00":  # scope 00: global (not link-local, not loopback)
                continue
            out.append((int(parts[1], 16), str(ipaddress.IPv6Address(bytes.fromhex(parts[0])))))
    return out


def lan_addresses() -> list[str]:
    """Non-loopback addresses of this machine's interfaces: IPv4 first, in interface order."""
    try:
        interfaces = socket.if_nameindex()
    except OSError:
        return []
    v4: list[str] = []
    for _, name in sorted(interfaces):
        addr = _ipv4(name)
        if addr and not ipaddress.IPv4Address(addr).is_loopback and addr not in v4:
            v4.append(addr)
    v6 = [a for _, a in sorted(_ipv6()) if not ipaddress.IPv6Address(a).is_loopback]
    return v4 + [a for i, a in enumerate(v6) if a not in v6[:i]]
