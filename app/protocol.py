"""The websocket protocol, version 2: every message as a pydantic model.

Version 2 adds compare mode (one session, two machines in lockstep: the seed
on the left, free page reporting on the right): the `compare` request, `do`'s
`side`, `reset`'s `compare`, `session.compare`, and the `pair` part of
snapshots and deltas.  A version-1 client is still served: its messages are
valid version-2 messages, and a session it did not put in compare mode sends
nothing new.

Client messages form one discriminated union on `type`, server messages
another.  docs/protocol.md is generated from this module (`python -m app
--protocol-doc`), JSON schema included, so the two cannot drift apart.

Steps themselves (`do.step`) are scenario steps of FORMATS.md; the core
checks them (core.steps.parse_step) so the server and a replay agree on what
a valid step is.  The state inside `snapshot` is hinting-state/1 and the
`changes` inside `delta` follow core/delta.py.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .roles import Role

PROTOCOL_VERSION = 2
SUPPORTED_VERSIONS = (1, 2)  # version 1 is version 2 without compare mode
# Relative weights of a workload's choices: finite, and small enough that their sum stays finite.
Weight = Annotated[float, Field(ge=0, le=1e6)]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    v: int = Field(PROTOCOL_VERSION, description="Protocol version; this server speaks 2 and takes 1 (2 without "
                   "compare mode).")


class _Request(_Msg):
    # No coercion: "7" is not an id, "1" not an order, 1 not true.  A wrong type anywhere is refused.
    model_config = ConfigDict(strict=True)
    id: int | None = Field(None, ge=0, le=2**53, description="Echoed in the reply; pick a new one per request.")


# --- client -> server --------------------------------------------------------------


class AuthMsg(_Request):
    """Present the control token: the connection may act from now on."""

    type: Literal["auth"]
    token: str = Field(min_length=1, max_length=200)


class DoMsg(_Request):
    """Apply one scenario step (FORMATS.md): alloc, free, move_pageblock,
    hinting_start, hinting_stop, advance, step, stepping.

    Here a step carries only its kind's fields: anything else (a misspelt
    `migrateype`, a tour's `say`) is refused naming it, where a scenario
    file would let a descriptive extra field through."""

    type: Literal["do"]
    step: dict[str, Any]
    side: Literal["left", "right"] | None = Field(
        None, description="Compare mode: the side whose pfns the step names (a block clicked on the right). "
        "A free by pfn of the right side is recorded as the left side's block it corresponds to (the history is "
        "the left's; core/pair.py). Refused outside compare mode.")


class ClockMsg(_Request):
    """Run or pause the virtual clock, or set its speed (virtual ms per real ms)."""

    type: Literal["clock"]
    action: Literal["run", "pause", "speed"]
    speed: float | None = Field(None, gt=0, le=10_000)


class ResetMsg(_Request):
    """Start the session over from a preset or a hinting-scenario/1 document."""

    type: Literal["reset"]
    preset: str | None = Field(None, max_length=100)
    scenario: dict[str, Any] | None = None
    compare: bool | None = Field(None, description="Compare mode on or off for the new start (default: what the "
                                 "preset or scenario says with its top-level `compare`, else the session's mode now).")


class CompareMsg(_Request):
    """Compare mode on or off: the seed and free page reporting side by side on this session's history.

    The history, cursor and start are kept (the other side is replayed from
    them); kept branches are dropped.  Every viewer gets a snapshot."""

    type: Literal["compare"]
    on: bool


class WorkloadMsg(_Request):
    """Start or stop a seeded random alloc/free churn; its steps are recorded as plain steps."""

    type: Literal["workload"]
    action: Literal["start", "stop"]
    seed: int = Field(1, ge=0, le=2**32 - 1)
    rate: float = Field(100, gt=0, le=100_000, description="Steps per real second.")
    live_target: int = Field(200, ge=1, le=1_000_000)
    orders: list[int] = Field(default_factory=lambda: [0, 1, 2, 3], min_length=1, max_length=16)
    order_weights: list[Weight] | None = Field(None, max_length=16)
    migratetypes: list[Literal["Unmovable", "Movable", "Reclaimable"]] = Field(
        default_factory=lambda: ["Movable", "Unmovable", "Reclaimable"], min_length=1, max_length=3
    )
    mt_weights: list[Weight] | None = Field(None, max_length=3)
    zone: str | None = Field(None, max_length=100)


class TravelMsg(_Request):
    """Move the session to a position in its history (0 = before the first step).

    Pauses the clock and stops a workload.  Acting while not at the end forks
    the history: the steps after the position are kept as a branch."""

    type: Literal["travel"]
    to: int = Field(ge=0, le=2**31)


class UndoMsg(_Request):
    """Take back the step before the current position and forget the steps after it."""

    type: Literal["undo"]


class BranchMsg(_Request):
    """Switch to a kept branch (its steps become the history again) or discard it."""

    type: Literal["branch"]
    action: Literal["switch", "discard"]
    branch: int = Field(ge=0)


class ViewMsg(_Request):
    """The presenter's view (zone, selection, view options...): every viewer is told it."""

    type: Literal["view"]
    view: dict[str, Any]


class ControlMsg(_Request):
    """The session's owner (who holds the control token) hands control to a connection, or takes it back."""

    type: Literal["control"]
    action: Literal["grant", "revoke"]
    connection: str = Field(min_length=1, max_length=40)


class IdentityMsg(_Request):
    """How this connection appears to the presenter: a name, and a raised hand to ask for control."""

    type: Literal["identity"]
    name: str | None = Field(None, max_length=40)
    hand: bool = False


class ResyncMsg(_Request):
    """Ask for a fresh snapshot (after a gap in delta sequence numbers)."""

    type: Literal["resync"]


class PingMsg(_Request):
    """Check that the connection is alive; answered by a `pong` with the same `id`, nothing else changes."""

    type: Literal["ping"]


ClientMessage = Annotated[
    AuthMsg | DoMsg | ClockMsg | ResetMsg | WorkloadMsg | TravelMsg | UndoMsg | BranchMsg | ViewMsg | ControlMsg
    | IdentityMsg | ResyncMsg | PingMsg | CompareMsg,
    Field(discriminator="type"),
]
client_message = TypeAdapter(ClientMessage)


# --- server -> client --------------------------------------------------------------


class ClockInfo(BaseModel):
    running: bool
    speed: float


class WorkloadInfo(BaseModel):
    running: bool
    seed: int | None = None
    rate: float | None = None
    live_target: int | None = None
    steps: int = Field(0, description="Steps this workload has applied so far.")


class BranchInfo(BaseModel):
    id: int
    fork_at: int = Field(description="The branch's first step followed this many steps of the history.")
    length: int


class TimelineInfo(BaseModel):
    cursor: int = Field(description="Steps the live machine has applied; < length while looking at the past.")
    length: int
    branches: list[BranchInfo]
    start: int = Field(0, description="Where the session started (its preset's or scenario's own steps): undo "
                       "stops here.")


class Member(BaseModel):
    id: str
    name: str | None = None
    role: Role
    owner: bool
    hand: bool


class SessionInfo(BaseModel):
    id: str
    title: str | None = None
    preset: str | None = None
    clock: ClockInfo
    workload: WorkloadInfo
    history_length: int = Field(description="Steps in the session's history (its scenario).")
    timeline: TimelineInfo
    viewers: int
    controllers: int
    audience: list[Member] = Field(
        default_factory=list,
        description="The first 100 connections: filled in for the session's owner only (others get []); "
        "the owner hears of later changes through `audience` messages.")
    view: dict[str, Any] | None = Field(None, description="The presenter's view, for viewers who follow it.")
    view_by: str | None = Field(None, description="The connection that sent the view.")
    compare: bool = Field(False, description="Compare mode: snapshots and deltas carry `pair`, the right side.")


class ErrorInfo(BaseModel):
    code: str = Field(description="read_only, invalid, step_failed, rate_limited, too_large, bad_json, too_deep, "
                      "bad_text, bad_frame, not_owner, bad_token, unsupported_version, history_full, internal, ...")
    message: str
    field: str | None = Field(None, description="The field at fault, as a dotted path.")


class HelloMsg(_Msg):
    """First message on every connection."""

    type: Literal["hello"] = "hello"
    session: str
    connection: str = Field(description="This connection's id, as the audience list shows it.")
    role: Role
    limits: dict[str, Any]


class RoleMsg(_Msg):
    """This connection's role changed (auth, or the owner granted or revoked control)."""

    type: Literal["role"] = "role"
    role: Role
    owner: bool


class PairSnapshot(BaseModel):
    """Compare mode's right side in a snapshot, and both sides' chart series."""

    side: Literal["right"] = "right"
    design: str = Field(description="The right side's design (`reporting`); the left's is the seed.")
    state: dict[str, Any] = Field(description="hinting-state/1 of the right side's machine.")
    recent_events: list[dict[str, Any]] = Field(default_factory=list, description="Its newest events (up to 50).")
    samples: dict[str, Any] = Field(description="{fields, left, right}: per side, points over the history "
                                    "(core/pair.py SAMPLE_FIELDS; at most 512 a side here).")


class PairDelta(BaseModel):
    """Compare mode's right side in a delta."""

    side: Literal["right"] = "right"
    changes: dict[str, Any] = Field(description="As `delta.changes`, for the right side's machine.")
    events: list[dict[str, Any]] = Field(default_factory=list, description="The right side's explained events.")
    events_omitted: int = 0
    results: list[dict[str, Any]] = Field(default_factory=list, description="{index, result} of the right side for "
                                          "this interval's steps.")
    samples: dict[str, list[list[int]]] = Field(default_factory=dict, description="{left, right}: new chart points.")


class SnapshotMsg(_Msg):
    """The whole state: on connect, on reset, on resync."""

    type: Literal["snapshot"] = "snapshot"
    seq: int = Field(description="Deltas that follow carry seq + 1, seq + 2, ...")
    state: dict[str, Any] = Field(description="hinting-state/1; hinting-host/1 on /ws/host (docs/live-host.md)")
    session: SessionInfo
    recent_events: list[dict[str, Any]] = Field(
        default_factory=list, description="The newest events so far (up to 50), so a late joiner's log is not empty."
    )
    pair: PairSnapshot | None = Field(None, description="Compare mode: the right side (`state` is then the left).")


class DeltaMsg(_Msg):
    """What changed since the previous message (see core/delta.py)."""

    type: Literal["delta"] = "delta"
    seq: int
    history_length: int = Field(description="Steps in the session's history after this delta.")
    cursor: int = Field(description="Steps the live machine has applied (== history_length unless time travelling).")
    changes: dict[str, Any]
    events: list[dict[str, Any]] = Field(description="Explained events (core/events.py), oldest first.")
    events_omitted: int = Field(0, description="Older events of this interval left out to keep deltas small.")
    steps: list[dict[str, Any]] = Field(
        default_factory=list, description="Steps applied in this interval: {index, step, result}."
    )
    steps_omitted: int = Field(0, description="Older steps of this interval left out (the scenario has them all).")
    session: SessionInfo | None = Field(None, description="Present when the clock, workload or viewers changed.")
    pair: PairDelta | None = Field(None, description="Compare mode: what changed on the right side, and the new "
                                   "chart samples of both sides (`changes`, `events` and `steps` are the left's).")


class ResultMsg(_Msg):
    """The answer to a request with an id."""

    type: Literal["result"] = "result"
    id: int | None
    ok: bool
    result: dict[str, Any] | None = Field(None, description="For `do`: the step's result as a replay records it.")
    error: ErrorInfo | None = None


class ErrorMsg(_Msg):
    """A message the server could not take, when there is no request id to answer."""

    type: Literal["error"] = "error"
    id: int | None = None
    error: ErrorInfo


class PongMsg(_Msg):
    """The answer to a `ping`, carrying its `id`."""

    type: Literal["pong"] = "pong"
    id: int | None = None


class AudienceMsg(_Msg):
    """To the session's owner only: who is watching changed (joins, leaves, names, raised hands).

    Not sequenced (it is not part of the state).  Coalesced: at most one per
    `info_interval_ms`, so a busy audience costs the owner a few small
    messages a second and everyone else nothing."""

    type: Literal["audience"] = "audience"
    viewers: int
    controllers: int
    audience: list[Member] = Field(description="The first 100 connections.")


ServerMessage = Annotated[
    HelloMsg | RoleMsg | SnapshotMsg | DeltaMsg | ResultMsg | ErrorMsg | PongMsg | AudienceMsg,
    Field(discriminator="type"),
]
server_message = TypeAdapter(ServerMessage)
