"""Loads a stored session before any HTTP route that names it runs.

The routes under /api/sessions/<id> look sessions up in memory
(`manager.get`); this ASGI middleware makes sure a stored session is there
first (`manager.find`), so the routes need not know about the store.  A
session another server process runs is answered by that process
(`manager.forward`, app/cluster.py).  A session that cannot be loaded now
(the memory budget) is answered here, with the usual error shape.
Websockets load their session in app/ws.py.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import LimitError
from .http_errors import LIMIT_STATUS, error_response
from .stall import remember_transport

SESSION_PATH = re.compile(r"^/api/sessions/([^/]+)")
log = logging.getLogger("hinting_lab.store")


class SessionLoader:
    def __init__(self, app: ASGIApp, manager: Any) -> None:
        self.app = app
        self.manager = manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            self.manager.asgi_app = scope.get("app")  # for requests other processes forward here
        elif scope["type"] == "websocket":
            remember_transport(scope, send)  # app/stall.py: to cut off a client that reads nothing
        elif scope["type"] == "http":
            match = SESSION_PATH.match(scope.get("path", ""))
            if match and match.group(1) not in self.manager.sessions:
                try:
                    found = await self.manager.find(match.group(1))
                    if found is None and await self.manager.forward(scope, receive, send, match.group(1)):
                        return  # another server process runs it and answered
                except LimitError as err:
                    status = LIMIT_STATUS.get(err.code, 503)
                    headers = {"Retry-After": "5"} if status in (429, 503) else None
                    await error_response(status, err.code, err.message, err.field, headers)(scope, receive, send)
                    return
                except Exception:
                    log.exception("session %s could not be loaded from the store", match.group(1)[:40])
                    await error_response(500, "internal", "this session is stored but could not be loaded (the "
                                         "server logged why)", "id")(scope, receive, send)
                    return
        await self.app(scope, receive, send)
