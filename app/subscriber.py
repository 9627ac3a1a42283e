"""One websocket connection as a session sees it: its standing, its two queues, its rate bucket.

Two outgoing queues, because they obey different rules:

* `control`: answers to this connection's own requests (results, errors,
  pongs, role changes, the hello).  Never dropped: every request is
  answered.  A client that keeps asking without reading its answers fills
  it; past `max_control` the connection is closed with a reason instead
  of buffering without bound.
* `data`: the session's stream (snapshots, deltas, audience lists).  A
  reader this far behind is skipped ahead: what it has not read is
  replaced by one fresh snapshot, which contains all of it.

The writer drains `control` first, so a result always goes out before the
delta that shows its effect (that delta is queued after the result).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from typing import Any

from .roles import Role, Standing
from .settings import Settings

SNAPSHOT = object()  # data-queue marker: send a fresh snapshot here


class Subscriber:
    def __init__(self, settings: Settings, address: str = "") -> None:
        self.id = secrets.token_hex(3)
        self.address = address
        self.standing = Standing()
        self.name: str | None = None
        self.hand = False
        self.control: deque[str] = deque()
        self.data: deque[Any] = deque()  # (seq, text) pairs, plain texts, or SNAPSHOT
        self.wake = asyncio.Event()
        self.max_queue = settings.max_queue
        self.max_control = settings.max_control_queue
        self.rate = settings.actions_per_second
        self.burst = float(settings.action_burst)
        self.tokens = self.burst
        self.stamp = time.monotonic()
        self.resyncs = 0
        self.closing: str | None = None  # why the server is closing this connection

    @property
    def role(self) -> Role:
        return self.standing.role

    @property
    def owner(self) -> bool:
        return self.standing.owner

    @property
    def controller(self) -> bool:
        return self.standing.controller

    def reply(self, text: str) -> None:
        """An answer to this connection: kept until sent."""
        if self.closing:
            return
        if len(self.control) >= self.max_control:
            self.close(f"more than {self.max_control} answers unread: this client does not read its replies")
            return
        self.control.append(text)
        self.wake.set()

    def push(self, item: Any) -> None:
        """Part of the session's stream: a reader too far behind skips ahead to a snapshot."""
        if len(self.data) >= self.max_queue:
            self.data.clear()
            self.data.append(SNAPSHOT)
            self.resyncs += 1
        else:
            self.data.append(item)
        self.wake.set()

    def close(self, reason: str) -> None:
        self.closing = reason
        self.control.clear()
        self.data.clear()
        self.wake.set()

    def take_tokens(self, cost: int = 1) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True
