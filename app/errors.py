"""The server's own error: a configured limit was reached."""

from __future__ import annotations


class LimitError(Exception):
    """A configured limit was reached; `code` and `field` go to the client."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
