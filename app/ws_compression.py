"""permessage-deflate for every websocket route but those whose payload is already compressed.

uvicorn negotiates compression for all websockets or none.  The session
routes want it (JSON deltas shrink several times over), but `/ws/host`
carries the host's physical map already zlib-compressed in its worker
process: deflating those ~100 KB of base64 again saves about a quarter of
the bytes and cost ~8 ms of the event loop per viewer per refresh, time
every other session's messages waited behind (issue 12: the loop's latency
for other sessions must not change while someone watches the host).  So the
handshake of a route listed here simply does not offer the extension back;
browsers accept either answer.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

UNCOMPRESSED_PATHS = ("/ws/host",)


class RouteAwareDeflateProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets protocol, declining permessage-deflate on UNCOMPRESSED_PATHS."""

    def handle_connect(self, event: Any) -> None:
        path = event.path.partition("?")[0]
        if path in UNCOMPRESSED_PATHS:
            self.conn.available_extensions = []  # negotiated in conn.accept(), called by the handler below
        super().handle_connect(event)
