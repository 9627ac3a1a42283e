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
`id` (an integer, 0..2^53); the answer is a `result` with the same `id`.  Types are not
coerced: `"7"` is not an id, `"1"` is not an order, `1` is not `true`.

### Every frame is answered

Each frame a client sends gets exactly one answer, in the order sent: a `result` (or
`pong`) carrying its id, or an `error` when no id could be read.  A frame the server
cannot read is answered, and the connection stays open with the session untouched:

| what was sent | `error.code` | `error.field` |
|---|---|---|
| not JSON (also `NaN`, `Infinity`, numbers too large for a double) | `bad_json` | `message` |
| arrays and objects nested deeper than `limits.max_json_depth` (32) | `too_deep` | `message` |
| a lone UTF-16 surrogate (`"\\ud800"`) anywhere, keys included | `bad_text` | `message` |
| a binary frame | `bad_frame` | `message` |
| JSON that is not an object (`[]`, `3`, `"ping"`) | `invalid` | `message` |
| over `limits.max_message_bytes` (the answer carries the id) | `too_large` | |
| over the request rate (bigger messages cost more of it) | `rate_limited` | |
| an unknown or missing field, a wrong type or range | `invalid` | the field, e.g. `step.zone`, `mt_weights.0` |
| an unexpected server failure (a bug; it is logged) | `internal` | |

Nothing unreadable is stored or echoed, and a refused request changes nothing: an
invalid `travel`, `undo` or `branch` leaves a running clock and workload running.

The server closes a connection only on purpose, with a close code and a reason:
1008 for a policy (a client that leaves more than `max_control_queue` answers unread, a
limit reached on connect), 1009 for a frame over the transport's limit (1 MiB, or twice
`max_message_bytes`), 4404 for an unknown session.  A connection refused before the
handshake (a foreign Origin, too many connections from one address or in all) gets an
HTTP 403 instead.

### Fields of a step: strict here, lenient in files

`do.step` carries only the fields its kind takes (`alloc`: zone, order, migratetype, as;
`free`: ref or pfn, order; `move_pageblock`: pfn, migratetype; `advance`: ms; `stepping`:
on); any other field is refused naming it (`step.migrateype`).  A live request has no
use for extra fields, and a misspelt one (`migrateype`) would otherwise silently become
the default (`Movable`).  A scenario *document* (POST /api/sessions, POST /api/links,
`reset.scenario`, `python -m core replay`) follows FORMATS.md, which allows extra fields
anywhere (tours carry `say`, `setup`, `predict` on their steps, documents carry
`description`, `kind`...): there only a likely misspelling is refused, a field of four
or more characters that reads like one the step's kind takes and the step lacks
(`scenario.steps[3].migrateype`: "did you mean 'migratetype'?").  The request bodies
themselves are strict: `POST /api/sessions` takes `preset` or `scenario` and nothing
else.

### Ordering and sequence numbers

Each connection has two outgoing queues.  Answers (`result`, `pong`, `error`, `role`,
`hello`) are never dropped; the session's stream (`snapshot`, `delta`, `audience`) is.
Answers go first, so a `result` is always sent before the delta that shows its effect.

`snapshot` carries `seq`; each later `delta` carries the next number.  A client that
sees a gap sends `resync` and gets a new snapshot.  A viewer that falls more than the
server's queue limit behind is skipped ahead: its pending stream is replaced by a
snapshot (its answers are kept).  While the clock or a workload runs, deltas are coalesced
to at most one per frame (`frame_ms`, 16 ms by default), and keep only the newest events
and steps of their interval (`events_omitted` and `steps_omitted` say how many were left
out; `GET /api/sessions/<id>/steps?start=N` serves the rest, and the session's scenario
has every step).

### Steps

`do.step` is a scenario step of FORMATS.md (`alloc`, `free`, `move_pageblock`,
`hinting_start`, `hinting_stop`, `advance`, `step`, `stepping`).  A step the core refuses
(no free block, a pfn that is not allocated, nothing to step) is still recorded in the
session's history, like a failed step in a replay, and answered with `ok: false`, error
code `step_failed` and the step's result.  The session's history is always a valid
scenario (`GET /api/sessions/<id>/scenario`): the running clock's advances are merged
into one step, but never past the format's limit of 10^9 ms per advance.

### Time travel

`snapshot.session.timeline` and every delta's `session` (when it changes) say where the
session is: `cursor` steps applied out of `length`, and the kept `branches`.  `travel`
moves the cursor (moving back sends a snapshot; moving forward sends deltas), `undo`
takes back the last step, `branch` switches to or discards a kept branch.  Acting with
the cursor in the past forks: the old future becomes a branch.  Travel pauses the clock
and stops a workload (a refused travel does neither).

### Presenting

`hello.connection` is the connection's id.  Viewers may send `identity` (a name, a raised
hand).  Who is watching is the owner's business only: the owner's copy of `session`
lists the `audience`, everyone else's has `audience: []`, and later changes reach the
owner as `audience` messages, at most one per `info_interval_ms` (100 ms).  Viewer
counts and the presenter's `view` reach everyone, coalesced the same way; what a
request changes (clock, workload, timeline, reset) goes out with its delta at once.
So a viewer toggling its hand costs one small message to the owner a tenth of a
second, not a message to every viewer.  The owner (who sent the control token) can
`control`/`grant` control to a connection and `revoke` it; the connection is told with a
`role` message.  The owner's own control is neither granted nor revoked.

### Limits

`hello.limits` tells the client the server's limits: message size and nesting depth,
requests per second per connection (over it: `rate_limited`), connections per session,
pages per session, history length and workload rate.  The server also limits
connections in all and per address, sessions in all and per address (sessions nobody
ever connected to are reclaimed after `unused_expiry_s`, and make room for new ones
after `unused_grace_s` when the server is full), titles (`max_title_chars`) and names
(`max_name_chars`); `python -m app --help` lists them all.

### Compare mode

One session, two machines in lockstep: the seed on the left, free page reporting (Linux
5.7) on the right (core/pair.py).  A session is in compare mode when the scenario or
preset it starts from says `"compare": true` at the top level, when `POST /api/sessions`
or `reset` says `compare: true` (which overrides the document), or after a `compare`
request (`on: true`; the history, cursor and start are kept, the right side is replayed
from them; kept branches are dropped; every viewer gets a snapshot).  Each side's design
takes the `hinting` fields the document gives and its own defaults for the rest.

There is one history, one cursor, one step counter: every request acts on both machines
at once (a step, the clock, a workload, travel, undo, a tour), and viewers following a
presenter follow both.  The history is the left side's; a `free` by pfn is translated for
the right side, whose same allocation may have got another block (the two designs leave
the free lists in different orders); `do.side: "right"` names a block by its right-side
pfn.  A step one side refuses is refused there only: a `do` result then carries the
right side's under `right`.

`session.compare` says whether a session is in compare mode.  Then a snapshot's `state`
is the left machine and its `pair` holds the right one (`state`, `recent_events`) and
both sides' chart samples (`samples`: `fields`, then per side points over the history,
`[pos, t_ms, ...]`); a delta's `changes`, `events` and `steps` are the left side's, and
its `pair` holds the right side's `changes`, `events`, `results` ({{index, result}}) and
the new chart points.  The exported scenario says `"compare": true`.  Over HTTP,
`GET /api/sessions/<id>/state?side=right` is the right machine (`side=left`, the
default, the left; `side=right` outside compare mode is 422 naming `side`); the same holds for
`/page/<pfn>?side=right` and `/pages?side=right`.

### Version

This is version 2: version 1 plus compare mode (the `compare` request, `do.side`,
`reset.compare`, `session.compare`, the `pair` part of snapshots and deltas).  The server
takes messages of version 1 or 2; a session nobody puts in compare mode sends nothing a
version-1 client does not know, but every server message says `v: 2`.  Before that, every
change was a new message a client may ignore (`audience`), a new key a client may ignore
(a delta's `costs`, the design's counters; a session of the second design, free page
reporting, names its marked blocks `reported` where the seed says `hinted`) or a stricter
check of what was already invalid.

## The delta's `changes`

```
{DELTA_DOC}
```

## HTTP

| method and path | answer |
|---|---|
| `POST /api/sessions` | a new session (see above); 422 naming the field for a bad scenario or preset |
| `GET /api/sessions/<id>` | the session's `SessionInfo` |
| `GET /api/sessions/<id>/state?side=S` | hinting-state/1 (`side=right`: compare mode's right machine) |
| `GET /api/sessions/<id>/scenario` | the session's history as hinting-scenario/1 |
| `GET /api/sessions/<id>/steps?start=N&stop=M` | `{{start, stop, length, cursor, steps}}` |
| `GET /api/sessions/<id>/frames?start=N&stop=M&zone=Z` | the states at positions N..M (a count, size and time budget) |
| `GET /api/sessions/<id>/page/<pfn>?encoding=E&side=S` | hinting-page/1: a page's struct page, what tools conclude |
| `GET /api/sessions/<id>/pages?encoding=E&side=S` | hinting-pages/1: per zone (docs/page-representation.md) |
| `POST /api/links`, `GET /api/links/<id>` | stored permalinks |
| `GET /api/presets`, `GET /api/presets/<name>` | the presets, a preset's scenario |
| `GET /healthz` | `{{"ok": true, ...}}` |
| `GET /docs` | OpenAPI |

Errors over HTTP are `{{"error": {{"code", "message", "field"}}}}`, always (unknown paths, wrong
methods and bad query parameters too).  POST bodies must be JSON (`content-type:
application/json`, else 415) and come from an allowed page (a browser's Origin must name
one of the server's host names: loopback, this machine's LAN addresses, `--allowed-hosts`;
else 403); a body over `max_body_bytes` is refused by its Content-Length before it is read
(413).  A large scenario is replayed off the event loop within `replay_budget_s`; frames
are computed off the loop within `frames_budget_s` and `max_frames_bytes` (422
`too_slow` or `too_large` naming `stop` past them; 503 `busy` when too many such
requests wait).  Too many sessions answer 429 with `Retry-After`.
"""

CLIENT = [p.AuthMsg, p.DoMsg, p.ClockMsg, p.ResetMsg, p.WorkloadMsg, p.TravelMsg, p.UndoMsg, p.BranchMsg,
          p.ViewMsg, p.ControlMsg, p.IdentityMsg, p.ResyncMsg, p.PingMsg, p.CompareMsg]
SERVER = [p.HelloMsg, p.RoleMsg, p.SnapshotMsg, p.DeltaMsg, p.ResultMsg, p.ErrorMsg, p.PongMsg, p.AudienceMsg]


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
