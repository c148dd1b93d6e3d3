"""The language layer's exception hierarchy; each class maps to one SPEC §5 code.

``app/`` turns a :class:`LangError` into a problem+json body in one place: ``status`` is the
HTTP status, ``code`` the stable code, ``detail`` the human text and ``extra`` the members the
problem body carries besides (``location``, ``op``, ``limit``, ``value``, ``steps`` ...).
"""

from __future__ import annotations

from typing import Any


class LangError(Exception):
    """Base of every error the language layer raises."""

    code: str = "program_error"
    status: int = 400
    title: str = "Program error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}

    def __str__(self) -> str:
        return self.detail


class SourceSyntaxError(LangError):
    """The source does not parse or uses something outside the subset (``extra``: line, col)."""

    code = "syntax_error"
    status = 400
    title = "Syntax error"


class ProgramValidationError(LangError):
    """The JSON form does not match the schema (``extra``: ``pointer`` to the bad field)."""

    code = "invalid_request"
    status = 422
    title = "Invalid request"


class ProgramError(LangError):
    """The program failed while running (``extra``: location, op, steps)."""

    code = "program_error"
    status = 400
    title = "Program error"


class LimitExceeded(LangError):
    """A bound was hit (``extra``: limit, value; status 413 for program/body size)."""

    code = "limit_exceeded"
    status = 400
    title = "Limit exceeded"

    def __init__(self, detail: str, *, limit: str, value: Any, status: int = 400,
                 **extra: Any) -> None:
        super().__init__(detail, limit=limit, value=value, **extra)
        self.status = status
        self.limit = limit
        self.value = value
