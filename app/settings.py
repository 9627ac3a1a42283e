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
    allowed_origins: str = field(default="", metadata={"help": "extra origins allowed on websockets, comma separated"})
    static_dir: str = field(default="", metadata={"help": "dashboard files (default: the project's static/)"})
    links_dir: str = field(default="", metadata={"help": "where stored links are kept (default: memory only)"})
    max_links: int = field(default=10_000, metadata={"help": "stored links kept (oldest dropped first)"})
    max_frames: int = field(default=600, metadata={"help": "states one frames request may return"})
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
