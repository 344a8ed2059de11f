"""The error registry: every code the API answers with, and the domain's base error.

``ErrorCode`` is the one list. The schema publishes it (``ecommerce.api.schema``),
the exception handler (``ecommerce.api.exceptions``), the error-page middleware
(``ecommerce.api.error_envelope_middleware``) and Django's fallback views
(``ecommerce.views``) take their codes, statuses and default messages from it.
A code is a ``str``: it compares equal to its value and renders as it.

``ApplicationError`` is what the domain raises. It lives here, on the ground
floor, so that no app imports the API layer to raise one: each app keeps its
own errors in its ``errors.py``, and the API layer turns them into the envelope
(``details`` holding domain data, dataclasses, are written there with the API's
camelCase names).
"""

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """A stable snake_case code, its HTTP status and its default message.

    The default message is the one used where only the status or the code is
    known (a bare error page, a refusal Django makes). ``for_status`` marks
    the code a bare status stands for: 400 is ``bad_request``, not
    ``validation_error``.
    """

    status: int
    message: str
    for_status: bool

    def __new__(cls, value: str, status: int, message: str, for_status: bool = False):
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = status
        member.message = message
        member.for_status = for_status
        return member

    # The order is the published one (the schema's list, the README's table).
    VALIDATION_ERROR = "validation_error", 400, "Invalid input."
    INVALID_JSON = "invalid_json", 400, "Request body is not valid JSON."
    INVALID_SIGNATURE = (
        "invalid_signature",
        400,
        "The webhook signature is missing, stale or does not match.",
    )
    BAD_REQUEST = "bad_request", 400, "The request could not be processed.", True
    NOT_AUTHENTICATED = (
        "not_authenticated",
        401,
        "Authentication credentials were not provided.",
        True,
    )
    INVALID_CREDENTIALS = "invalid_credentials", 401, "Invalid email or password."
    TOKEN_INVALID = "token_invalid", 401, "Token is invalid or expired."
    PAYMENT_FAILED = "payment_failed", 402, "The payment provider refused the operation."
    PERMISSION_DENIED = "permission_denied", 403, "You do not have permission.", True
    NOT_FOUND = "not_found", 404, "No such endpoint.", True
    METHOD_NOT_ALLOWED = "method_not_allowed", 405, "Method not allowed.", True
    NOT_ACCEPTABLE = "not_acceptable", 406, "Could not satisfy the request Accept header."
    CONFLICT = (
        "conflict",
        409,
        "The request conflicts with the current state of the resource.",
    )
    INSUFFICIENT_STOCK = "insufficient_stock", 409, "Not enough stock for one or more items."
    IDEMPOTENCY_REQUEST_IN_PROGRESS = (
        "idempotency_request_in_progress",
        409,
        "A request with this Idempotency-Key is still being processed. Retry shortly.",
    )
    PAYLOAD_TOO_LARGE = "payload_too_large", 413, "Request body is too large.", True
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", 415, "Unsupported media type."
    IDEMPOTENCY_KEY_REUSED = (
        "idempotency_key_reused",
        422,
        "This Idempotency-Key was already used with a different request body.",
    )
    RATE_LIMITED = "rate_limited", 429, "Too many requests.", True
    SERVER_ERROR = "server_error", 500, "An unexpected error occurred.", True
    SERVICE_UNAVAILABLE = (
        "service_unavailable",
        503,
        "The service is temporarily unavailable. Please retry shortly.",
        True,
    )

    @classmethod
    def of_status(cls, status: int) -> "ErrorCode":
        """The code a bare error status stands for: ``server_error`` for another
        5xx, ``bad_request`` for another 4xx."""
        return _BY_STATUS.get(status) or (cls.SERVER_ERROR if status >= 500 else cls.BAD_REQUEST)


_BY_STATUS = {code.status: code for code in ErrorCode if code.for_status}


class ApplicationError(Exception):
    """A failure the client caused or must know about, with a stable code.

    Subclasses set ``code`` (an ``ErrorCode``, which gives the status) and
    ``message``; ``details`` carries machine-readable specifics: the failing
    fields, keyed by their API names, or domain data (dataclasses), which the
    API layer writes out.
    """

    code: ErrorCode = ErrorCode.BAD_REQUEST
    message = ErrorCode.BAD_REQUEST.message

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        self.message = message or self.message
        self.details = details if details is not None else {}
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return self.code.status


class Conflict(ApplicationError):
    code = ErrorCode.CONFLICT
    message = ErrorCode.CONFLICT.message


class ServiceUnavailable(ApplicationError):
    code = ErrorCode.SERVICE_UNAVAILABLE
    message = ErrorCode.SERVICE_UNAVAILABLE.message
