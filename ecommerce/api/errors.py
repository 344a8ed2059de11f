"""The one domain error type every app raises; the exception handler renders it."""

from typing import Any


class ApplicationError(Exception):
    """A failure the client caused or must know about, with a stable code.

    Subclasses set ``code``, ``status`` and ``message``; ``details`` carries
    machine-readable specifics (the failing fields or lines).
    """

    code = "bad_request"
    status = 400
    message = "The request could not be processed."

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        self.message = message or self.message
        self.details = details if details is not None else {}
        super().__init__(self.message)


class Conflict(ApplicationError):
    code = "conflict"
    status = 409
    message = "The request conflicts with the current state of the resource."


class InvalidCredentials(ApplicationError):
    code = "invalid_credentials"
    status = 401
    message = "Invalid email or password."


class TokenInvalid(ApplicationError):
    code = "token_invalid"
    status = 401
    message = "Token is invalid or expired."


class ServiceUnavailable(ApplicationError):
    code = "service_unavailable"
    status = 503
    message = "The service is temporarily unavailable. Please retry shortly."
