"""GET /api/server: how this server can be reached, for the Present dialog's QR code.

A page opened on http://127.0.0.1 would put that in its QR code, which no
phone can open.  The dialog asks here for this machine's LAN addresses, and
whether the server listens on them (`make run HOST=0.0.0.0`), so it can
offer a link that works in the room or say why there is none.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from fastapi import FastAPI, Request

from .lan import lan_addresses
from .settings import Settings

ALL_INTERFACES = ("0.0.0.0", "::", "")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def url_of(address: str, port: int) -> str:
    """http://192.168.1.5:8000, http://[fd00::2]:8000."""
    return f"http://[{address}]:{port}" if ":" in address else f"http://{address}:{port}"


def register(app: FastAPI) -> None:
    settings: Settings = app.state.settings

    @app.get("/api/server")
    def server_info(request: Request) -> dict[str, Any]:
        port = request.url.port or settings.port
        addresses = lan_addresses()
        listens_all = settings.host in ALL_INTERFACES
        reachable = [a for a in addresses if listens_all or a == settings.host]
        if not addresses:
            why = "this machine has no network address besides loopback (no Wi-Fi or wired network is up)"
        elif not reachable:
            why = (f"the server listens on {settings.host} only: restart it with `make run HOST=0.0.0.0` "
                   f"(or --host 0.0.0.0) so phones on the same network can connect")
        else:
            why = ""
        return {
            "listen": settings.host,
            "port": port,
            "loopback_only": _is_loopback(settings.host),
            "addresses": addresses,
            "lan_urls": [url_of(a, port) for a in reachable],
            "why_none": why,
            "seed_file": bool(settings.seed_file),
        }
