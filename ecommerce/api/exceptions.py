"""One exception handler: every error from every layer leaves in one shape."""

import logging
from typing import Any, cast

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from ecommerce.api.errors import ApplicationError
from ecommerce.api.parsers import JSONTooComplex, PayloadTooLarge
from ecommerce.api.renderers import Envelope
from ecommerce.throttling import REQUEST_ATTRIBUTE

logger = logging.getLogger("ecommerce.api")

# DRF exception class -> (code, message used when DRF's own text is not helpful)
_DRF_CODES: list[tuple[type[Exception], str, str | None]] = [
    # Valid JSON beyond the parser's bounds: its own message says which.
    (JSONTooComplex, "invalid_json", None),
    (drf.ParseError, "invalid_json", "Request body is not valid JSON."),
    (drf.ValidationError, "validation_error", "Invalid input."),
    (drf.NotAuthenticated, "not_authenticated", "Authentication credentials were not provided."),
    (InvalidToken, "token_invalid", "Token is invalid or expired."),
    # SimpleJWT's own AuthenticationFailed (unknown or inactive user, bad header)
    # carries a dict detail: one message for every rejected token.
    (drf.AuthenticationFailed, "token_invalid", "Token is invalid or expired."),
    (drf.PermissionDenied, "permission_denied", None),
    (drf.NotFound, "not_found", None),
    (drf.MethodNotAllowed, "method_not_allowed", None),
    (drf.NotAcceptable, "not_acceptable", None),
    (drf.UnsupportedMediaType, "unsupported_media_type", None),
    (drf.Throttled, "rate_limited", "Too many requests."),
    (PayloadTooLarge, "payload_too_large", "Request body is too large."),
]

# Refusals DRF makes before its throttles run: they are counted too, or a client
# without a valid token could call protected endpoints without any limit.
_REFUSED_BEFORE_THROTTLING = (drf.NotAuthenticated, drf.AuthenticationFailed, drf.PermissionDenied)


def error_body(code: str, message: str, details: Any = None) -> Envelope:
    return Envelope(
        success=False,
        error={"code": code, "message": message, "details": details if details else {}},
    )


def exception_handler(exc: Exception, context: dict) -> Response:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status)

    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, TokenError):
        exc = InvalidToken()
    elif isinstance(exc, RequestDataTooBig):
        # Django's own limit (MAX_BODY_BYTES), met by a view that reads request.body.
        exc = PayloadTooLarge()
    elif isinstance(exc, DjangoValidationError):
        # A model's or a form's validation (full_clean, a validator) that no
        # serializer checked first: still the client's input, so a 400 naming
        # the fields, never a 500. Logged, as the serializer should catch it.
        logger.warning("Model validation reached the API layer in %s: %s", _view_name(context), exc)
        exc = drf.ValidationError(_django_validation_details(exc))
    elif isinstance(exc, SuspiciousOperation):
        logger.warning("Suspicious request refused: %s", exc)
        return Response(
            error_body("bad_request", "The request could not be processed."), status=400
        )

    if isinstance(exc, _REFUSED_BEFORE_THROTTLING):
        exc = _throttled_instead(exc, context) or exc

    if isinstance(exc, drf.APIException):
        return _api_exception_response(exc)

    if isinstance(exc, OperationalError | InterfaceError):
        # The database went away or refused a connection: tell the client to
        # retry instead of leaking a 500 with a trace.
        logger.warning("Database unavailable: %s", exc)
        return Response(
            error_body(
                "service_unavailable",
                "The service is temporarily unavailable. Please retry shortly.",
            ),
            status=503,
            headers={"Retry-After": "5"},
        )

    level = logging.ERROR if not isinstance(exc, DatabaseError) else logging.CRITICAL
    logger.log(level, "Unhandled exception in %s", _view_name(context), exc_info=exc)
    return Response(error_body("server_error", "An unexpected error occurred."), status=500)


def _api_exception_response(exc: drf.APIException) -> Response:
    code, fallback = "error", None
    for cls, mapped_code, mapped_message in _DRF_CODES:
        if isinstance(exc, cls):
            code, fallback = mapped_code, mapped_message
            break
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if isinstance(exc, drf.Throttled) and exc.wait is not None:  # type: ignore[attr-defined]
        headers["Retry-After"] = str(max(1, int(exc.wait)))  # type: ignore[attr-defined]

    details: Any = {}
    if isinstance(exc, drf.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"nonFieldErrors": exc.detail}
        message = fallback
    elif fallback:
        message = fallback
    else:
        message = str(exc.detail) if isinstance(exc.detail, str) else "Request failed."
    # ValidationError is in _DRF_CODES: its message is never None.
    return Response(
        error_body(code, cast(str, message), details), status=exc.status_code, headers=headers
    )


def _throttled_instead(exc: drf.APIException, context: dict) -> drf.Throttled | None:
    """Count a request refused before throttling; Throttled when it is over the limit.

    DRF authenticates and checks permissions before it throttles, so a 401 or
    403 from that stage never reached the throttles. Refusals raised later (by
    the view itself) were counted already and are left alone.
    """
    view, request = context.get("view"), context.get("request")
    if view is None or request is None or not hasattr(view, "check_throttles"):
        return None
    if getattr(getattr(request, "_request", request), REQUEST_ATTRIBUTE, None) is not None:
        return None
    try:
        view.check_throttles(request)
    except drf.Throttled as throttled:
        return throttled
    return None


def _django_validation_details(exc: DjangoValidationError) -> dict[str, list[str]]:
    """Field -> messages, with the API's camelCase names and ``nonFieldErrors``."""
    if not hasattr(exc, "error_dict"):
        return {"nonFieldErrors": list(exc.messages)}
    details: dict[str, list[str]] = {}
    for field, errors in exc.message_dict.items():
        name = "nonFieldErrors" if field == NON_FIELD_ERRORS else _camel(field)
        details.setdefault(name, []).extend(errors)
    return details


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _view_name(context: dict) -> str:
    view = context.get("view")
    return type(view).__name__ if view is not None else "unknown view"
