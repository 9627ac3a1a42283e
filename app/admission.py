"""New websocket connections past the limits refused before any routing.

In a flood of connection attempts (issue 13: 2,000 on one session from one
address) most are refused; each refusal used to run FastAPI's routing and
dependency machinery first, on the loop every other session shares.  Here a
connection past the per-address or server-wide limit is answered at once
(the client sees HTTP 403, as from app/ws.py, which checks again: the count
may have moved while the handshake was read).
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .settings import Settings

CLOSE_TRY_LATER = 1013


def over_limits(connections: dict[str, int], settings: Settings, address: str) -> bool:
    """Whether one more websocket from `address` would pass the server-wide or per-address limit."""
    return (sum(connections.values()) >= settings.max_connections
            or connections.get(address, 0) >= settings.max_connections_per_ip)


class WebsocketAdmission:
    def __init__(self, app: ASGIApp, manager: Any, settings: Settings) -> None:
        self.app = app
        self.manager = manager
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            client = scope.get("client")
            address = client[0] if client else ""
            if over_limits(self.manager.connections, self.settings, address):
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": CLOSE_TRY_LATER, "reason": ""})
                return
        await self.app(scope, receive, send)
