"""Which web pages may drive this server: an allow-list of host names.

A browser tells the server which page a request comes from (the Origin
header).  Comparing it with the request's Host header proves nothing: with
DNS rebinding an attacker's page reaches this server under the attacker's
own name, and Host then matches.  So the page's scheme must be http or https
and its host must be one this server is known by: the loopback names, this
machine's LAN addresses (those the QR code offers), its host name, and
whatever `--allowed-hosts` adds ('*' allows any).  `--allowed-origins` still
lets exact origins in (a site embedding the lab).  A request without Origin
is not from a browser page (curl, scripts, tests) and is let through: the
control token, not the Origin, protects a session.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from .lan import lan_addresses
from .settings import Settings

LOOPBACK = ("localhost", "127.0.0.1", "::1")


class OriginPolicy:
    def __init__(self, settings: Settings) -> None:
        extra = {h.strip().lower().strip("[]") for h in settings.allowed_hosts.split(",") if h.strip()}
        self.any_host = "*" in extra
        hosts = set(LOOPBACK) | {a.lower() for a in lan_addresses()} | extra
        name = socket.gethostname().lower()
        if name:
            hosts |= {name, f"{name}.local"}
        if settings.host not in ("0.0.0.0", "::", ""):
            hosts.add(settings.host.lower().strip("[]"))
        self.hosts = frozenset(hosts)
        self.origins = frozenset(o.strip().rstrip("/").lower() for o in settings.allowed_origins.split(",")
                                 if o.strip())

    def allowed(self, origin: str | None) -> bool:
        if origin is None:
            return True
        origin = origin.strip().rstrip("/").lower()
        if origin in self.origins:
            return True
        try:
            parts = urlsplit(origin)
            host = parts.hostname
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not host:
            return False
        return self.any_host or host in self.hosts or host.startswith("127.")
