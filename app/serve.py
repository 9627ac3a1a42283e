"""uvicorn, with new connections taken a few at a time.

A flood of connection attempts (issue 13: 2,000 on one session) must not
hold up the other sessions' messages.  Two places let a burst of new
connections into one turn of the event loop:

* accepting: asyncio's loop accepts up to `backlog` pending connections a
  turn, and uvicorn passes its listen backlog (2048) as that number.  Here
  it is `accept_batch`, while the kernel's listen queue is widened back to
  `listen_backlog` after start-up, so a burst waits there instead of being
  refused.  (uvloop, uvicorn's choice when installed, accepts everything
  pending whatever the number.)
* the first request: connections accepted over several turns send their
  requests together, and every one ready was parsed and upgraded to a
  websocket in the same turn (~1 ms each: a turn of 0.5 s of CPU measured,
  seconds on a busy machine, while another session's action waited).
  `FirstRequestGate` lets `accept_batch` new connections' first requests be
  handled per turn; the others stop reading and wait their turn, in order.
  Requests on a connection already going, and websockets, are not held.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections import deque
from typing import Any

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from .stall import limit_send_buffer
from .ws_compression import RouteAwareDeflateProtocol


class FirstRequestGate:
    """At most `per_turn` new connections go on per turn of the event loop; the others wait, first come first."""

    def __init__(self, per_turn: int) -> None:
        self.per_turn = max(1, per_turn)
        self.passed = 0
        self.waiting: deque[Any] = deque()  # protocols holding their first data
        self.scheduled = False

    def admit(self, protocol: Any) -> bool:
        """True: handle it now.  False: it waits, and `protocol.release()` is called on its turn."""
        self._next_turn()
        if not self.waiting and self.passed < self.per_turn:
            self.passed += 1
            return True
        self.waiting.append(protocol)
        return False

    def _next_turn(self) -> None:
        if not self.scheduled:
            self.scheduled = True
            asyncio.get_running_loop().call_soon(self._turn)

    def _turn(self) -> None:
        self.scheduled = False
        self.passed = 0
        while self.waiting and self.passed < self.per_turn:
            protocol = self.waiting.popleft()
            if protocol.release():  # False: the client went away meanwhile; it takes no place
                self.passed += 1
        if self.waiting:
            self._next_turn()


def paced_protocol(base: type[asyncio.Protocol], gate: FirstRequestGate) -> type[asyncio.Protocol]:
    """`base` (uvicorn's HTTP protocol), its first data per connection let through `gate`."""

    class Paced(base):  # type: ignore[valid-type, misc]
        _held: list[bytes] | None = None
        _first = True

        def data_received(self, data: bytes) -> None:
            if self._held is not None:
                self._held.append(data)
                return
            if self._first:
                self._first = False
                if not gate.admit(self):
                    self._held = [data]
                    self.transport.pause_reading()
                    return
            super().data_received(data)

        def release(self) -> bool:
            held, self._held = self._held, None
            if self.transport.is_closing() or held is None:
                return False
            self.transport.resume_reading()
            super().data_received(b"".join(held))
            return True

    Paced.__name__ = Paced.__qualname__ = f"Paced{base.__name__}"
    return Paced


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, listen_backlog: int, send_buffer: int = 0) -> None:
        if config.http == "auto":
            config.http = paced_protocol(AutoHTTPProtocol, FirstRequestGate(config.backlog))
        if config.ws == "auto":  # uvicorn's own choice, with compression declined where it is wasted
            config.ws = RouteAwareDeflateProtocol
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
