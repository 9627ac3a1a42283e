"""Reading untrusted JSON: one reader for websocket messages and HTTP bodies.

`json.loads` alone accepts things the rest of the server cannot carry:
nesting deep enough to exhaust the interpreter's recursion (in the parser,
in pydantic, in the encoder when the value is sent on), lone UTF-16
surrogates (`"\\ud800"`: legal JSON escapes that make a Python string no
encoder will write as UTF-8, so anything storing one fails every later time
it is read), and NaN or infinities (`NaN`, `1e400`), which are not JSON at all
and poison arithmetic.  `read_json` refuses all of them up front, each with
an `Unreadable` naming what is wrong, so nothing past this point ever meets
them.  The checks run on the raw text with regular expressions (C speed), so
a 16 MiB scenario costs milliseconds, not a Python walk of every value.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

DEFAULT_MAX_DEPTH = 32

# A JSON string, matched without backtracking (possessive: a 16 MiB body must not go quadratic).
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# A \uD800-\uDFFF escape; a real pair is high then low, anything else is lone.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_RAW_SURROGATE = re.compile("[\ud800-\udfff]")


class Unreadable(ValueError):
    """The text is not JSON this server takes; `code` and `message` go to the client."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def _no_constant(name: str) -> Any:
    raise Unreadable("bad_json", f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Unreadable("bad_json", f"the number {text[:40]} is too large")
    return value


def nesting_depth(text: str, limit: int) -> int:
    """How deeply arrays and objects nest in `text`, counting up to limit + 1."""
    depth = deepest = 0
    for c in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        if c == "[" or c == "{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if any("\ud800" <= c <= "\udfff" for c in v):
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def _text(data: str | bytes) -> str:
    """UTF-8 bytes decoded, or text checked for raw lone surrogates (a str can hold them, JSON text cannot)."""
    if isinstance(data, (bytes, bytearray)):
        try:
            return bytes(data).decode("utf-8")
        except UnicodeDecodeError as err:
            raise Unreadable("bad_text", f"not UTF-8 text (byte {err.start})") from None
    if _RAW_SURROGATE.search(data):
        raise Unreadable("bad_text", "the text holds a lone UTF-16 surrogate, which is not text")
    return data


def read_json(data: str | bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """The JSON value in `data`, or Unreadable (code bad_json, too_deep or bad_text)."""
    text = _text(data)
    if nesting_depth(text, max_depth) > max_depth:
        raise Unreadable("too_deep", f"arrays and objects nest more than {max_depth} deep")
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except Unreadable:
        raise
    except (ValueError, RecursionError) as err:
        msg = err.msg if isinstance(err, json.JSONDecodeError) else str(err)
        where = f" at line {err.lineno} column {err.colno}" if isinstance(err, json.JSONDecodeError) else ""
        raise Unreadable("bad_json", f"not JSON: {msg}{where}") from None
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise Unreadable("bad_text", "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text")
    return value


_WS = re.compile(r"[ \t\n\r]*")
# Containers this near the top are walked here, element by element; deeper values are parsed whole.
SPLIT_DEPTH = 3


def read_json_in_pieces(data: str | bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """read_json for large bodies, in small pieces, for a worker thread.

    The C parser and the regular expressions hold the interpreter lock for
    the whole text at once: on a 13 MiB scenario that stalls the event loop
    (and every session on it) for a large fraction of a second, worker
    thread or not.  Here the outer containers (the body, the scenario, its
    step list) are walked in Python, and each value below them (a step) is
    parsed and checked on its own, so the lock changes hands between pieces.
    Same answers as read_json, the same errors.
    """
    text = _text(data)
    decoder = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)
    ws = _WS.match

    def bad(i: int, what: str) -> Unreadable:
        line = text.count("\n", 0, i) + 1
        return Unreadable("bad_json", f"not JSON: {what} at line {line} column {i - text.rfind(chr(10), 0, i)}")

    def whole(i: int, depth: int) -> tuple[Any, int]:
        try:
            value, end = decoder.raw_decode(text, i)
        except Unreadable:
            raise
        except json.JSONDecodeError as err:
            raise bad(err.pos, err.msg) from None
        except (ValueError, RecursionError):
            raise bad(i, "unreadable value") from None
        piece = text[i:end]
        if (piece[:1] in "[{" and nesting_depth(piece, max_depth - depth) > max_depth - depth) or \
                _RAW_SURROGATE.search(piece):
            raise Unreadable("too_deep" if piece[:1] in "[{" else "bad_text",
                             f"arrays and objects nest more than {max_depth} deep")
        if _SURROGATE_ESCAPE.search(piece) and _has_lone_surrogate(value):
            raise Unreadable("bad_text", "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text")
        return value, end

    def value(i: int, depth: int) -> tuple[Any, int]:
        i = ws(text, i).end()
        opener = text[i:i + 1]
        if depth >= SPLIT_DEPTH or opener not in ("[", "{"):
            return whole(i, depth)
        if depth + 1 > max_depth:
            raise Unreadable("too_deep", f"arrays and objects nest more than {max_depth} deep")
        closer = "]" if opener == "[" else "}"
        out: Any = [] if opener == "[" else {}
        i = ws(text, i + 1).end()
        if text[i:i + 1] == closer:
            return out, i + 1
        while True:
            if opener == "{":
                key, i = whole(i, depth + 1)
                if not isinstance(key, str):
                    raise bad(i, "expecting a string key")
                i = ws(text, i).end()
                if text[i:i + 1] != ":":
                    raise bad(i, "expecting ':'")
                item, i = value(i + 1, depth + 1)
                out[key] = item
            else:
                item, i = value(i, depth + 1)
                out.append(item)
            i = ws(text, i).end()
            sep = text[i:i + 1]
            if sep == ",":
                i = ws(text, i + 1).end()
                continue
            if sep == closer:
                return out, i + 1
            raise bad(i, f"expecting ',' or {closer!r}")

    result, end = value(0, 0)
    if ws(text, end).end() != len(text):
        raise bad(end, "extra data")
    return result
