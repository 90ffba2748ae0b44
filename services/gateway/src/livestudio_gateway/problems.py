"""The API's errors as types and their RFC 9457 `application/problem+json` rendering (ProblemDetailsPlugin).

Handlers raise `NotFound`, `Forbidden`, `Conflict`, `BadRequest`, `Unavailable`; Litestar's own HTTP exceptions
(validation, 401, 404 of unknown routes, 405) and infrastructure failures (Postgres down, statement timeout) are
converted to the same shape. Internal errors are logged with their traceback and answered without details.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import asyncpg
import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://livestudio.dev/problems/"
log = structlog.get_logger(__name__)


class FieldError(msgspec.Struct, kw_only=True):
    message: str
    key: str | None = None
    source: str | None = None


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class ApiError(ProblemDetailsException):
    """Base of the gateway's errors; subclasses fix the status and the problem type."""

    status_code = 500
    slug = "internal"

    def __init__(
        self,
        detail: str = "",
        *,
        status_code: int | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        slug: str | None = None,
    ) -> None:
        status = status_code or type(self).status_code
        super().__init__(detail=detail or HTTPStatus(status).phrase, status_code=status, headers=headers)
        self.errors = errors
        if slug is not None:
            self.slug = slug

    def problem(self, instance: str | None = None) -> Problem:
        return Problem(
            type=PROBLEM_BASE + self.slug,
            title=_phrase(self.status_code),
            status=self.status_code,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
        )

    def to_response(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return Response(
            self.problem(instance=request.url.path),
            status_code=self.status_code,
            media_type=PROBLEM_MEDIA_TYPE,
            headers=self.headers,
        )


class BadRequest(ApiError):
    status_code = 400
    slug = "invalid-request"


class Unauthorized(ApiError):
    status_code = 401
    slug = "unauthorized"

    def __init__(self, detail: str = "a valid bearer token is required") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="livestudio"'})


class Forbidden(ApiError):
    status_code = 403
    slug = "forbidden"


class NotFound(ApiError):
    status_code = 404
    slug = "not-found"


class Conflict(ApiError):
    status_code = 409
    slug = "conflict"


class RateLimited(ApiError):
    status_code = 429
    slug = "rate-limited"


class Unavailable(ApiError):
    status_code = 503
    slug = "unavailable"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_SLUGS = {400: "invalid-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed"}


def _from_http_exception(exc: HTTPException) -> ApiError:
    errors: list[FieldError] | None = None
    if isinstance(exc.extra, list):
        errors = [
            FieldError(
                message=str(item.get("message", "")),
                key=None if item.get("key") is None else str(item.get("key")),
                source=None if item.get("source") is None else str(item.get("source")),
            )
            for item in exc.extra
            if isinstance(item, Mapping)
        ]
    headers = dict(exc.headers) if exc.headers else None
    if exc.status_code == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="livestudio"'}
    return ApiError(
        exc.detail,
        status_code=exc.status_code,
        errors=errors,
        headers=headers,
        slug=_SLUGS.get(exc.status_code, "http-" + str(exc.status_code)),
    )


def _from_database_error(exc: Exception) -> ApiError:
    if isinstance(exc, asyncpg.QueryCanceledError):
        return Unavailable("the query took too long; narrow the filters", slug="query-timeout")
    if isinstance(exc, asyncpg.UndefinedTableError | asyncpg.UndefinedColumnError):
        log.error("read_model_missing", error=str(exc))
        return Unavailable("a read model is not available yet", slug="read-model-unavailable")
    if isinstance(exc, asyncpg.PostgresError | asyncpg.InterfaceError):
        log.warning("database_error", error=f"{type(exc).__name__}: {exc}")
        return Unavailable("the database is not available", slug="database-unavailable")
    log.warning("dependency_unavailable", error=f"{type(exc).__name__}: {exc}")
    return Unavailable("a dependency is not reachable", slug="dependency-unavailable")


def _from_recursion(_: Exception) -> ApiError:
    """msgspec refuses JSON nested deeper than the interpreter's recursion limit with a RecursionError."""
    return BadRequest("the JSON body is nested too deeply", slug="invalid-body")


def _from_unexpected(exc: Exception) -> ApiError:
    log.error("unhandled_error", exc_info=exc)
    return ApiError("internal error")


def problem_details_plugin() -> ProblemDetailsPlugin:
    mapping: dict[type[Exception], Any] = {
        HTTPException: _from_http_exception,
        asyncpg.PostgresError: _from_database_error,
        asyncpg.InterfaceError: _from_database_error,
        OSError: _from_database_error,  # includes TimeoutError (pool acquire) and refused connections
        RecursionError: _from_recursion,
        Exception: _from_unexpected,
    }
    return ProblemDetailsPlugin(ProblemDetailsConfig(exception_to_problem_detail_map=mapping))


_DESCRIPTIONS = {
    400: "Invalid request (parameters, body or cursor)",
    401: "Missing, invalid or expired bearer token",
    403: "The caller's role or studios do not allow this",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the current state",
    429: "Rate limit exceeded; see Retry-After",
    503: "A dependency (database, broker) is unavailable",
}
READ_ERRORS = (400, 401, 403, 404, 429, 503)
WRITE_ERRORS = (400, 401, 403, 404, 409, 429, 503)


def problem_responses(codes: tuple[int, ...] = READ_ERRORS) -> dict[int, ResponseSpec]:
    """OpenAPI `responses` documenting the problem+json answers of a route."""
    return {
        code: ResponseSpec(
            data_container=Problem,
            description=_DESCRIPTIONS[code],
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for code in codes
    }
