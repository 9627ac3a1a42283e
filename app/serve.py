"""uvicorn, with new connections taken a few at a time.

asyncio accepts up to `backlog` pending connections in one turn of the
event loop, and uvicorn passes its listen backlog (2048) as that number: a
flood of 2,000 connection attempts is then accepted in one go, and every
handshake runs before the loop reads another session's next message (that
session's latency went to seconds).  Here the loop takes `accept_batch`
connections a turn, while the kernel's listen queue is widened back to
`listen_backlog` after start-up, so a burst still waits there instead of
being refused.
"""

from __future__ import annotations

import contextlib
import socket

import uvicorn

from .stall import limit_send_buffer


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, listen_backlog: int, send_buffer: int = 0) -> None:
        super().__init__(config)
        self.listen_backlog = listen_backlog
        self.send_buffer = send_buffer

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        for server in getattr(self, "servers", []):
            for sock in server.sockets:
                # A duplicate of the listening socket: listen() on it widens the one queue they share.
                with contextlib.suppress(OSError), socket.fromfd(sock.fileno(), sock.family, sock.type) as dup:
                    dup.listen(max(self.listen_backlog, self.config.backlog))
                    limit_send_buffer(dup, self.send_buffer)  # inherited by every connection (app/stall.py)
