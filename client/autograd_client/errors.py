"""Problems from the service (RFC 9457 ``application/problem+json``) as typed exceptions."""

from __future__ import annotations

from typing import Any


class AutogradError(Exception):
    """A problem the service answered; ``code`` is its stable code (README, "Errors")."""

    code = "error"

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        self.code = body.get("code", self.code)
        self.title = body.get("title", "")
        self.detail = body.get("detail", "")
        self.location: dict[str, Any] | None = body.get("location")
        self.request_id: str | None = body.get("request_id")
        where = ""
        if self.location and "line" in self.location:
            where = f" (line {self.location['line']}, col {self.location.get('col', '?')})"
        super().__init__(f"{self.code}: {self.detail}{where}")


class InvalidRequest(AutogradError):
    code = "invalid_request"


class ProgramSyntaxError(AutogradError):
    code = "syntax_error"


class ProgramError(AutogradError):
    """The program failed while running; ``exception`` is the Python exception it maps to
    (``RuntimeError``, ``NameError``, ...), ``op`` the op that failed, when one did."""

    code = "program_error"

    @property
    def exception(self) -> str | None:
        return self.body.get("exception")

    @property
    def op(self) -> str | None:
        return self.body.get("op")


class LimitExceeded(AutogradError):
    code = "limit_exceeded"


class Unauthorized(AutogradError):
    code = "unauthorized"


class NotFound(AutogradError):
    code = "not_found"


class TooManySessions(AutogradError):
    code = "too_many_sessions"


class DeviceUnavailable(AutogradError):
    code = "device_unavailable"


class ServerBusy(AutogradError):
    code = "server_busy"


ERRORS: dict[str, type[AutogradError]] = {
    cls.code: cls for cls in (InvalidRequest, ProgramSyntaxError, ProgramError, LimitExceeded,
                              Unauthorized, NotFound, TooManySessions, DeviceUnavailable,
                              ServerBusy)
}


def problem_error(status: int, body: Any) -> AutogradError:
    """The exception for a reply's problem (any code, known or not)."""
    if not isinstance(body, dict):
        body = {"detail": str(body), "code": "error"}
    return ERRORS.get(body.get("code", ""), AutogradError)(status, body)
