"""Request body parsing with the body size limit enforced."""

import io
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import APIException


class PayloadTooLarge(APIException):
    status_code = 413
    default_detail = "Request body is too large."
    default_code = "payload_too_large"


def body_size_limit() -> int | None:
    """``MAX_BODY_BYTES`` (Django's DATA_UPLOAD_MAX_MEMORY_SIZE); None is no limit."""
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies over ``MAX_BODY_BYTES`` with 413.

    DRF reads the request as a stream, which bypasses the check Django makes in
    ``request.body``; without this, any size of JSON would be read into memory.
    At most limit + 1 bytes are read, so a chunked body without Content-Length
    is cut off too.
    """

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: dict | None = None
    ) -> Any:
        limit = body_size_limit()
        if limit is not None and stream is not None:
            request = (parser_context or {}).get("request")
            declared = _content_length(request)
            if declared is not None and declared > limit:
                raise PayloadTooLarge()
            body = stream.read(limit + 1)
            if len(body) > limit:
                raise PayloadTooLarge()
            stream = io.BytesIO(body)
        return super().parse(stream, media_type, parser_context)


def _content_length(request: Any) -> int | None:
    meta = getattr(request, "META", None) or {}
    try:
        return int(meta.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
