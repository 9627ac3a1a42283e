"""Server settings: limits and speeds, from command-line flags or environment.

Every setting has a flag (`python -m app --help`) and an environment variable
HINTING_LAB_<NAME> (flags win).  Limits are enforced by the server; over a
limit a client gets a clear error, never a crash or unbounded memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any

ENV_PREFIX = "HINTING_LAB_"


@dataclass(frozen=True)
class Settings:
    host: str = field(default="127.0.0.1", metadata={"help": "address to listen on"})
    port: int = field(default=8000, metadata={"help": "port to listen on"})
    max_message_bytes: int = field(default=64 * 1024, metadata={"help": "largest websocket message accepted"})
    actions_per_second: float = field(default=50.0, metadata={"help": "sustained requests per second per connection"})
    action_burst: int = field(default=100, metadata={"help": "requests a connection may send at once"})
    max_sessions: int = field(default=200, metadata={"help": "sessions this server holds at once"})
    max_viewers: int = field(default=500, metadata={"help": "connections per session"})
    max_pages: int = field(default=1 << 20, metadata={"help": "pages per session (all zones; 1<<20 is 4 GiB)"})
    max_history: int = field(default=2_000_000, metadata={"help": "steps kept in a session's history"})
    idle_expiry_s: float = field(default=1800.0, metadata={"help": "seconds an unwatched session lives"})
    orphan_pause_s: float = field(default=60.0, metadata={
        "help": "seconds a running clock or workload goes on with nobody watching before it is paused"})
    frame_ms: float = field(default=16.0, metadata={"help": "at most one delta per this many ms while running"})
    max_workload_rate: float = field(default=20_000.0, metadata={"help": "largest workload rate, steps/s"})
    max_events_per_delta: int = field(default=6, metadata={"help": "newest events kept per delta while running"})
    max_steps_per_delta: int = field(default=6, metadata={"help": "newest steps kept per delta while running"})
    max_queue: int = field(default=256, metadata={"help": "messages queued per slow viewer before it resyncs"})
    send_timeout_s: float = field(default=15.0, metadata={
        "help": "a connection whose client reads nothing for this long is closed, with a reason"})
    socket_send_buffer_kb: int = field(default=128, metadata={
        "help": "kernel send buffer per connection (0: the system's, up to 4 MiB): what a client that stops "
        "reading can hold up before it is noticed"})
    max_control_queue: int = field(default=1024, metadata={
        "help": "unread answers a connection may have before it is closed (answers are never dropped)"})
    info_interval_ms: float = field(default=100.0, metadata={
        "help": "at most one audience or viewer-count update per this many ms"})
    max_json_depth: int = field(default=32, metadata={"help": "deepest nesting of arrays and objects accepted"})
    max_body_bytes: int = field(default=16 * 1024 * 1024, metadata={"help": "largest HTTP request body accepted"})
    max_title_chars: int = field(default=200, metadata={"help": "longest session title"})
    max_name_chars: int = field(default=100, metadata={"help": "longest zone name or alloc name ('as', 'ref')"})
    max_connections: int = field(default=2000, metadata={"help": "websocket connections this server holds at once"})
    max_connections_per_ip: int = field(default=400, metadata={
        "help": "websocket connections from one address (a class behind one NAT shares an address)"})
    max_sessions_per_ip: int = field(default=50, metadata={"help": "sessions one address may hold at once"})
    unused_expiry_s: float = field(default=600.0, metadata={
        "help": "seconds a session nobody ever connected to lives"})
    unused_grace_s: float = field(default=15.0, metadata={
        "help": "when the server is full, sessions nobody connected to for this long make room for new ones"})
    replay_budget_s: float = field(default=10.0, metadata={
        "help": "longest a scenario may take to replay when a session starts from it"})
    frames_budget_s: float = field(default=5.0, metadata={"help": "longest one frames request may compute"})
    max_frames_bytes: int = field(default=32 * 1024 * 1024, metadata={"help": "largest frames answer"})
    heavy_jobs: int = field(default=1, metadata={
        "help": "replays and frames computed at once, off the event loop"})
    max_heavy_waiting: int = field(default=8, metadata={"help": "replays and frames waiting their turn before "
                                                              "more are refused as busy"})
    accept_batch: int = field(default=16, metadata={
        "help": "new connections taken per turn of the event loop (a flood of them waits its turn in the kernel)"})
    listen_backlog: int = field(default=2048, metadata={"help": "connections the kernel holds waiting to be taken"})
    allowed_hosts: str = field(default="", metadata={
        "help": "host names pages may come from (websocket Origin, POST Origin), comma separated, added to "
        "the loopback names and this machine's LAN addresses; '*' allows any"})
    allowed_origins: str = field(default="", metadata={"help": "extra origins allowed on websockets, comma separated"})
    static_dir: str = field(default="", metadata={"help": "dashboard files (default: the project's static/)"})
    db: str = field(default="", metadata={
        "help": "the SQLite file sessions and stored links are kept in (default: "
        "$XDG_DATA_HOME/hinting-lab/lab.db, i.e. ~/.local/share/hinting-lab/lab.db); ':memory:' keeps nothing "
        "across restarts"})
    redis: str = field(default="", metadata={
        "help": "keep sessions in this Redis (redis://host:port/db) instead, shared by every server process "
        "given the same URL"})
    memory_budget_mb: int = field(default=2048, metadata={
        "help": "memory all sessions in memory may take (estimated); past it, unwatched sessions are unloaded "
        "(they stay stored and come back when opened)"})
    store_days: float = field(default=30.0, metadata={
        "help": "days a stored session nobody opens is kept before it is deleted"})
    max_stored_sessions: int = field(default=100_000, metadata={
        "help": "sessions kept in the store (the least recently used are deleted past this)"})
    gc_full_pass_s: float = field(default=300.0, metadata={
        "help": "seconds between full passes of Python's cycle collector, which otherwise walks every machine "
        "many times a minute (0: Python's own schedule; see app/gcpolicy.py)"})
    lease_ms: int = field(default=3000, metadata={
        "help": "with --redis: how long a process's claim on a session lasts unless renewed (another process "
        "takes the session over this long after its process dies)"})
    links_dir: str = field(default="", metadata={
        "help": "a directory of stored links from older versions: imported into the store at start"})
    max_links: int = field(default=10_000, metadata={"help": "stored links kept (oldest dropped first)"})
    max_frames: int = field(default=600, metadata={"help": "states one frames request may return"})
    max_steps_per_request: int = field(default=100_000, metadata={"help": "steps one GET .../steps may return"})
    max_log_events: int = field(default=20_000, metadata={
        "help": "events one event-log request returns at most (the newest; the log says how many more there were)"})
    max_log_replay_steps: int = field(default=500_000, metadata={
        "help": "steps one event-log request may replay; a longer range is cut to its newest part, and says so"})
    log_replay_budget: int = field(default=3_000_000, metadata={
        "help": "steps a session may replay for event logs per minute; beyond it, requests are refused for a while"})
    seed_file: str = field(default="", metadata={
        "help": "the seed patch file ([v2,4/5] mm: Introduce Hinted pages, with its review thread), so the event "
        "log's seed line references open it at their lines"})
    log_level: str = field(default="info", metadata={"help": "uvicorn log level"})
    proc_root: str = field(default="/", metadata={"help": "where the live host view reads /proc and /sys from"})
    host_refresh_s: float = field(default=1.0, metadata={"help": "seconds between reads of the host while watched"})
    host_map_max_pages: int = field(default=1 << 26, metadata={"help": "largest host whose kpageflags map is read"})
    max_trace_bytes: int = field(default=256 << 20, metadata={"help": "largest trace accepted by /api/import-trace"})

    def limits(self) -> dict[str, Any]:
        """What clients are told (hello message, /healthz)."""
        return {
            "max_message_bytes": self.max_message_bytes,
            "actions_per_second": self.actions_per_second,
            "action_burst": self.action_burst,
            "max_viewers": self.max_viewers,
            "max_json_depth": self.max_json_depth,
            "max_pages": self.max_pages,
            "max_history": self.max_history,
            "max_workload_rate": self.max_workload_rate,
            "frame_ms": self.frame_ms,
        }

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _convert(f.type, raw, f.name)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _convert(kind: Any, raw: str, name: str) -> Any:
    kind = kind if isinstance(kind, str) else kind.__name__
    try:
        if kind == "int":
            return int(raw, 0)
        if kind == "float":
            return float(raw)
    except ValueError as err:
        raise SystemExit(f"{ENV_PREFIX}{name.upper()}: expected a {kind}, got {raw!r}") from err
    return raw
