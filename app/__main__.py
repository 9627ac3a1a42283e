"""`python -m app --host 127.0.0.1 --port 8000`: serve the lab.

Every setting is a flag here and an environment variable HINTING_LAB_<NAME>;
`--protocol-doc` prints docs/protocol.md instead of serving.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields

from .settings import ENV_PREFIX, Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app",
        description="Serve Hinting Lab: the dashboard on / and the websocket protocol on /ws/<session>.",
        epilog=f"Each flag can also be set with an environment variable {ENV_PREFIX}<NAME> (for example "
        f"{ENV_PREFIX}MAX_SESSIONS=50); a flag wins over the variable.",
    )
    defaults = Settings()
    for f in fields(Settings):
        flag = "--" + f.name.replace("_", "-")
        kind = f.type if isinstance(f.type, str) else f.type.__name__
        conv = {"int": int, "float": float}.get(kind, str)
        parser.add_argument(flag, type=conv, default=None, dest=f.name,
                            help=f"{f.metadata.get('help', '')} (default: {getattr(defaults, f.name)!r})")
    parser.add_argument("--protocol-doc", action="store_true", help="print docs/protocol.md and exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.protocol_doc:
        from .protocol_doc import render

        sys.stdout.write(render())
        return 0
    overrides = {f.name: getattr(args, f.name) for f in fields(Settings)}
    settings = Settings.from_env(**overrides)

    import uvicorn

    from .main import create_app
    from .serve import Server

    app = create_app(settings)
    _lab_logging(settings.log_level)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        # Frames up to 1 MiB reach the app, which answers "too large" past
        # max_message_bytes instead of the connection being dropped.
        ws_max_size=max(1 << 20, settings.max_message_bytes * 2),
        backlog=settings.accept_batch,
    )
    Server(config, settings.listen_backlog, settings.socket_send_buffer_kb * 1024).run()
    return 0


def _lab_logging(level: str) -> None:
    """The lab's own messages (sessions loaded, unloaded, taken over; clients closed) beside uvicorn's."""
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
    log = logging.getLogger("hinting_lab")
    log.addHandler(handler)
    log.setLevel(level.upper() if level.upper() in logging.getLevelNamesMapping() else "INFO")
    log.propagate = False


if __name__ == "__main__":
    sys.exit(main())
