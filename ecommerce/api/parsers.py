"""Request body parsing with the body size limit enforced."""

import io
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError

# Far deeper than any body the API takes (an order is 4 levels), far shallower
# than the interpreter's recursion limit that later code could run into.
MAX_JSON_DEPTH = 32


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
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            # "[[[[..." a few thousand deep exhausts the decoder's recursion:
            # bad input, not a server error.
            raise ParseError("JSON parse error - nested too deeply.") from exc
        if _depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels.")
        return data


def _depth_exceeds(data: Any, limit: int) -> bool:
    # Iterative: the check itself must not recurse.
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _content_length(request: Any) -> int | None:
    meta = getattr(request, "META", None) or {}
    try:
        return int(meta.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
