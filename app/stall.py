"""A client that stops reading is closed, with a reason, instead of holding its connection for ever.

A connection's queues are bounded (app/subscriber.py: a reader that falls
behind skips ahead to a snapshot), so a client that never reads costs little
memory; but its socket would stay open, its writer stuck on a full TCP
window.  Every send gets `send_timeout_s` (one watchdog task per event loop
checks the sends in progress once a second): past it the connection is closed
with a close frame saying why (queued behind what the client has not read:
a client that wakes up reads it, and its page reconnects by itself).  The
connection's reader, waiting for a message that will not come, is then
stopped (`give_up`), so the connection's handler ends at once and the
server forgets the client; the log says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger("hinting_lab.ws")


def limit_send_buffer(sock: socket.socket, nbytes: int) -> None:
    """Cap the kernel's send buffer (set on the listening socket, every accepted one inherits it).

    Linux grows a socket's send buffer up to 4 MiB for a peer that does not
    read: that much memory per stuck client, and minutes before a send
    blocks long enough for `send_within` to notice.
    """
    if nbytes > 0:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, nbytes)


class _Watch:
    """The sends in progress on one event loop, checked once a second by one task.

    A timer per send (asyncio.timeout) costs ~8 us and leaves a cancelled
    handle in the loop's heap: at 200 viewers and 45 deltas a second that is
    7% of a core.  Noting when a send started costs next to nothing.
    """

    def __init__(self) -> None:
        self.sending: dict[int, tuple[float, float, asyncio.Task[Any], Any]] = {}
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while self.sending:
            await asyncio.sleep(1.0)
            now = loop.time()
            for started, seconds, task, sub in list(self.sending.values()):
                if now - started > seconds and not getattr(sub, "stalled_send", False):
                    sub.stalled_send = True
                    task.cancel()
        self.task = None


_WATCHES: dict[asyncio.AbstractEventLoop, _Watch] = {}


def _watch() -> _Watch:
    loop = asyncio.get_running_loop()
    watch = _WATCHES.get(loop)
    if watch is None:
        for old in [lp for lp in _WATCHES if lp.is_closed()]:
            del _WATCHES[old]
        watch = _WATCHES[loop] = _Watch()
    return watch


async def send_within(ws: Any, sub: Any, text: str, seconds: float) -> bool:
    """Send `text`; False (and `sub` closing) if the client took nothing for `seconds`."""
    watch = _watch()
    task = asyncio.current_task()
    assert task is not None
    key = id(sub)
    watch.sending[key] = (asyncio.get_running_loop().time(), seconds, task, sub)
    if watch.task is None:
        watch.task = asyncio.get_running_loop().create_task(watch.run())
    try:
        await ws.send_text(text)
        return True
    except asyncio.CancelledError:
        if not getattr(sub, "stalled_send", False):
            raise
        task.uncancel()
        why = f"this client read nothing for {seconds:g} s; closed (reconnect to catch up)"
        log.info("connection %s: %s", getattr(sub, "id", "?"), why)
        sub.close(why)
        return False
    finally:
        watch.sending.pop(key, None)


async def close_within(ws: Any, code: int, reason: str, seconds: float = 5.0) -> None:
    """Close with a reason; a client that reads nothing does not hold the close up for long."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ws.close(code=code, reason=reason[:120]), seconds)


TRANSPORT = "hinting_lab.transport"


def remember_transport(scope: Any, send: Any) -> None:
    """Keep the connection's transport in its scope, when the server exposes it (uvicorn's protocols do).

    A close does not end a connection whose peer reads nothing (the close
    frame waits behind what it has not read); only aborting the transport
    does.  Without one the connection ends when the server's keepalive
    pings go unanswered.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        scope[TRANSPORT] = transport


async def give_up(ws: Any, sub: Any, code: int, reader: asyncio.Task[Any] | None) -> None:
    """The client reads nothing: try the close frame briefly, stop the connection's reader, cut it off."""
    sub.stalled = True
    await close_within(ws, code, sub.closing or "closed", 1.0)
    if reader is not None and not reader.done():
        reader.cancel()
    transport = getattr(ws, "scope", {}).get(TRANSPORT)
    if transport is not None:
        asyncio.get_running_loop().call_later(1.0, _cut, transport)


def _cut(transport: Any) -> None:
    """Abort with a reset: the kernel drops what the client never read instead of trying on for minutes."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def client_frames(ws: Any, sub: Any) -> AsyncIterator[str | None]:
    """The client's frames, as text (None for a binary frame), until it leaves, the connection is closing,
    or the writer gives up on it (`give_up`)."""
    while not sub.closing:
        try:
            message = await ws.receive()
        except asyncio.CancelledError:
            if gave_up(sub):
                return
            raise
        if message["type"] == "websocket.disconnect":
            return
        yield message.get("text")


async def finish_writer(sub: Any, writer: asyncio.Task[Any]) -> None:
    """The reader is done: let a closing writer send its close frame (if the client still reads), then stop it."""
    if sub.closing:
        with contextlib.suppress(asyncio.TimeoutError, Exception):
            await asyncio.wait_for(asyncio.shield(writer), 1.0)
    writer.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await writer


def gave_up(sub: Any) -> bool:
    """In the reader, on CancelledError: True if it was give_up (the handler ends normally), not a shutdown."""
    if getattr(sub, "stalled", False):
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        return True
    return False
