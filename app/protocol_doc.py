"""Renders docs/protocol.md from app/protocol.py (tests/app/test_protocol_doc.py keeps them equal)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from core import delta

from . import protocol as p

DELTA_DOC = (delta.__doc__ or "").split('Delta format ("changes"):', 1)[1].strip()

INTRO = f"""# Hinting Lab websocket protocol, version {p.PROTOCOL_VERSION}

Generated from `app/protocol.py` by `python -m app --protocol-doc`; do not edit by hand.

## Connecting

1. `POST /api/sessions` (optional body `{{"preset": NAME}}` or `{{"scenario": <hinting-scenario/1>}}`)
   creates a session and answers `{{"id", "control_token", "dashboard_url", "ws_url", "title", "preset"}}`.
   The control token is a secret: it is never part of a URL.
2. Open the websocket at `ws_url` (`/ws/<id>`).  Browsers must connect from this server's own
   pages (the Origin header is checked).  The server sends `hello`, then a `snapshot`.
3. To act, send `{{"type": "auth", "token": <control_token>, "id": 1}}`.  Without it the
   connection watches: every viewer receives the same stream, and any request that would
   change the session is answered with error code `read_only`.

## Messages

Every message is one JSON object with a `type` and the protocol version `v` (clients may
omit `v`; a different version is refused with `unsupported_version`).  Requests carry an
`id`; the answer is a `result` with the same `id`.  A request the server cannot read
(bad JSON, unknown type, a missing or out-of-range field, a step the core refuses) gets an
answer naming the field at fault; the connection stays open and nothing changes.

### Ordering and sequence numbers

`snapshot` carries `seq`; each later `delta` carries the next number.  A client that
sees a gap sends `resync` and gets a new snapshot.  A viewer that falls more than the
server's queue limit behind is skipped ahead: its pending messages are replaced by a
snapshot.  While the clock or a workload runs, deltas are coalesced to at most one per
frame (`frame_ms`, 16 ms by default), and keep only the newest events and steps of
their interval (`events_omitted` and `steps_omitted` say how many were left out; the
session's scenario has every step).  A `result` is always sent before the
delta that shows its effect.

### Steps

`do.step` is a scenario step of FORMATS.md (`alloc`, `free`, `move_pageblock`,
`hinting_start`, `hinting_stop`, `advance`, `step`, `stepping`).  A step the core refuses
(no free block, a pfn that is not allocated, nothing to step) is still recorded in the
session's history, like a failed step in a replay, and answered with `ok: false`, error
code `step_failed` and the step's result.  The session's history is always a valid
scenario: `GET /api/sessions/<id>/scenario`.

### Time travel

`snapshot.session.timeline` and every delta's `session` (when it changes) say where the
session is: `cursor` steps applied out of `length`, and the kept `branches`.  `travel`
moves the cursor (moving back sends a snapshot; moving forward sends deltas), `undo`
takes back the last step, `branch` switches to or discards a kept branch.  Acting with
the cursor in the past forks: the old future becomes a branch.  Travel pauses the clock
and stops a workload.

### Presenting

`hello.connection` is the connection's id.  Viewers may send `identity` (a name, a raised
hand); the session's `audience` lists connections for the presenter.  The owner (who sent
the control token) can `control`/`grant` control to a connection and `revoke` it; the
connection is told with a `role` message.  A controller's `view` (zone, selection, view
options) is stored and sent to every viewer in `session.view`, so an audience can follow
the presenter's picture.

### Limits

`hello.limits` tells the client the server's limits: message size, requests per second
per connection (over it: `rate_limited`), connections per session, pages per session,
history length and workload rate.

## The delta's `changes`

```
{DELTA_DOC}
```

## HTTP

| method and path | answer |
|---|---|
| `POST /api/sessions` | a new session (see above); 422 naming the field for a bad scenario or preset |
| `GET /api/sessions/<id>` | the session's `SessionInfo` |
| `GET /api/sessions/<id>/state` | hinting-state/1 |
| `GET /api/sessions/<id>/scenario` | the session's history as hinting-scenario/1 |
| `GET /api/presets`, `GET /api/presets/<name>` | the presets, a preset's scenario |
| `GET /healthz` | `{{"ok": true, ...}}` |
| `GET /docs` | OpenAPI |

Errors over HTTP are `{{"error": {{"code", "message", "field"}}}}`.
"""

CLIENT = [p.AuthMsg, p.DoMsg, p.ClockMsg, p.ResetMsg, p.WorkloadMsg, p.TravelMsg, p.UndoMsg, p.BranchMsg,
          p.ViewMsg, p.ControlMsg, p.IdentityMsg, p.ResyncMsg, p.PingMsg]
SERVER = [p.HelloMsg, p.RoleMsg, p.SnapshotMsg, p.DeltaMsg, p.ResultMsg, p.ErrorMsg, p.PongMsg]


def _section(model: type[BaseModel]) -> str:
    schema: dict[str, Any] = model.model_json_schema()
    tag = model.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
    doc = (model.__doc__ or "").strip()
    return f"#### `{tag}`\n\n{doc}\n\n```json\n{json.dumps(schema, indent=2, sort_keys=True)}\n```\n"


def render() -> str:
    parts = [INTRO, "\n## Client to server\n"]
    parts += [_section(m) for m in CLIENT]
    parts.append("\n## Server to client\n")
    parts += [_section(m) for m in SERVER]
    return "\n".join(parts)
