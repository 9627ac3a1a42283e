"""One error shape for every HTTP answer that is not a success: {"error": {"code", "message", "field"}}.

FastAPI's own errors (an unknown path, a wrong method, a query parameter
that is not a number) would otherwise answer `{"detail": ...}`; the core's
InvalidInput and the server's limits are mapped here too, so a route
simply raises.  An unexpected exception is answered `internal` (500) and,
being a bug, still logged with its traceback by the server.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core import InvalidInput

from .errors import LimitError
from .jsonin import Unreadable

STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}
LIMIT_STATUS = {"too_many_sessions": 429, "busy": 503, "too_slow": 422, "forbidden_origin": 403,
                "memory_budget": 503}


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status_code=status,
                        headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InvalidInput)
    async def invalid_input(request: Request, err: InvalidInput) -> JSONResponse:
        return error_response(422, "invalid", err.message, err.field)

    @app.exception_handler(LimitError)
    async def limit_reached(request: Request, err: LimitError) -> JSONResponse:
        status = LIMIT_STATUS.get(err.code, 413 if err.field == "body" else 422)
        headers = {"Retry-After": "5"} if status in (429, 503) else None
        return error_response(status, err.code, err.message, err.field, headers)

    @app.exception_handler(Unreadable)
    async def unreadable(request: Request, err: Unreadable) -> JSONResponse:
        status = 415 if err.code == "unsupported_media_type" else 400
        return error_response(status, err.code, err.message, err.field or "body")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(err.status_code, f"http_{err.status_code}")
        field = "path" if err.status_code == 404 else "method" if err.status_code == 405 else None
        return error_response(err.status_code, code, str(err.detail), field, getattr(err, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body")]
        return error_response(422, "invalid", str(first.get("msg", "invalid parameters")), ".".join(loc) or None)

    @app.exception_handler(Exception)
    async def internal(request: Request, err: Exception) -> JSONResponse:
        return error_response(500, "internal", "the server failed on this request (a bug: it is logged)")
