"""One exception handler: every error from every layer leaves in one shape."""

import logging
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from ecommerce.api.envelope import camel_case, error_body
from ecommerce.api.parsers import JSONTooComplex, PayloadTooLarge
from ecommerce.errors import ApplicationError, ErrorCode
from ecommerce.ratelimit.refusals import REFUSED_BEFORE_THROTTLING, throttled_instead

logger = logging.getLogger("ecommerce.api")

# DRF exception class -> its code, and whether DRF's own text is the message
# (otherwise the code's message is: DRF's is not helpful there).
_OWN_TEXT, _CODE_TEXT = True, False
_DRF_CODES: list[tuple[type[Exception], ErrorCode, bool]] = [
    # Valid JSON beyond the parser's bounds: its own message says which.
    (JSONTooComplex, ErrorCode.INVALID_JSON, _OWN_TEXT),
    (drf.ParseError, ErrorCode.INVALID_JSON, _CODE_TEXT),
    (drf.ValidationError, ErrorCode.VALIDATION_ERROR, _CODE_TEXT),
    (drf.NotAuthenticated, ErrorCode.NOT_AUTHENTICATED, _CODE_TEXT),
    (InvalidToken, ErrorCode.TOKEN_INVALID, _CODE_TEXT),
    # SimpleJWT's own AuthenticationFailed (unknown or inactive user, bad header)
    # carries a dict detail: one message for every rejected token.
    (drf.AuthenticationFailed, ErrorCode.TOKEN_INVALID, _CODE_TEXT),
    (drf.PermissionDenied, ErrorCode.PERMISSION_DENIED, _OWN_TEXT),
    (drf.NotFound, ErrorCode.NOT_FOUND, _OWN_TEXT),
    (drf.MethodNotAllowed, ErrorCode.METHOD_NOT_ALLOWED, _OWN_TEXT),
    (drf.NotAcceptable, ErrorCode.NOT_ACCEPTABLE, _OWN_TEXT),
    (drf.UnsupportedMediaType, ErrorCode.UNSUPPORTED_MEDIA_TYPE, _OWN_TEXT),
    (drf.Throttled, ErrorCode.RATE_LIMITED, _CODE_TEXT),
    (PayloadTooLarge, ErrorCode.PAYLOAD_TOO_LARGE, _CODE_TEXT),
]


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
        return Response(error_body(ErrorCode.BAD_REQUEST), status=ErrorCode.BAD_REQUEST.status)

    if isinstance(exc, REFUSED_BEFORE_THROTTLING):
        # Refused before DRF's throttles ran: counted here (ecommerce.ratelimit.refusals).
        exc = throttled_instead(exc, context) or exc

    if isinstance(exc, drf.APIException):
        return _api_exception_response(exc)

    if isinstance(exc, OperationalError | InterfaceError):
        # The database went away or refused a connection: tell the client to
        # retry instead of leaking a 500 with a trace.
        logger.warning("Database unavailable: %s", exc)
        return Response(
            error_body(ErrorCode.SERVICE_UNAVAILABLE),
            status=ErrorCode.SERVICE_UNAVAILABLE.status,
            headers={"Retry-After": "5"},
        )

    level = logging.ERROR if not isinstance(exc, DatabaseError) else logging.CRITICAL
    logger.log(level, "Unhandled exception in %s", _view_name(context), exc_info=exc)
    return Response(error_body(ErrorCode.SERVER_ERROR), status=ErrorCode.SERVER_ERROR.status)


def _api_exception_response(exc: drf.APIException) -> Response:
    # An APIException of no class above: the code its status stands for.
    code, own_text = ErrorCode.of_status(exc.status_code), True
    for cls, mapped_code, mapped_own_text in _DRF_CODES:
        if isinstance(exc, cls):
            code, own_text = mapped_code, mapped_own_text
            break
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if isinstance(exc, drf.Throttled) and exc.wait is not None:  # type: ignore[attr-defined]
        headers["Retry-After"] = str(max(1, int(exc.wait)))  # type: ignore[attr-defined]

    details: Any = {}
    if isinstance(exc, drf.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"nonFieldErrors": exc.detail}
        message = code.message
    elif not own_text:
        message = code.message
    else:
        message = str(exc.detail) if isinstance(exc.detail, str) else "Request failed."
    # ValidationError is in _DRF_CODES: its message is never None.
    return Response(error_body(code, message, details), status=exc.status_code, headers=headers)


def _django_validation_details(exc: DjangoValidationError) -> dict[str, list[str]]:
    """Field -> messages, with the API's camelCase names and ``nonFieldErrors``."""
    if not hasattr(exc, "error_dict"):
        return {"nonFieldErrors": list(exc.messages)}
    details: dict[str, list[str]] = {}
    for field, errors in exc.message_dict.items():
        name = "nonFieldErrors" if field == NON_FIELD_ERRORS else camel_case(field)
        details.setdefault(name, []).extend(errors)
    return details


def _view_name(context: dict) -> str:
    view = context.get("view")
    return type(view).__name__ if view is not None else "unknown view"
