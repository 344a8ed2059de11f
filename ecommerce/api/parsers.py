"""Request body parsing: the size limit, and a bound on the body's shape.

Every JSON body of every endpoint goes through ``JSONParser`` (the only
parser in settings). Besides its bytes (``MAX_BODY_BYTES``), the shape of
what it decodes to is bounded before any serializer sees it: nesting depth,
keys per object, characters per key and items per list. One megabyte of
``{"k1": 0, "k2": 0, ...}`` is 111,846 keys; validating each and reporting
each as an unknown field took 1.8 s and answered 3 MB. No input of the API
comes near these bounds (the widest object is a product, a dozen fields; the
longest list a product's 250 variants).
"""

import io
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError

# Far deeper than any body the API takes (an order is 4 levels), far shallower
# than the interpreter's recursion limit that later code could run into.
MAX_JSON_DEPTH = 32
# Far wider and longer than any body the API takes, far below what one
# megabyte can hold.
MAX_JSON_KEYS = 64
MAX_JSON_KEY_LENGTH = 100
# Twice a product's 250 variants: the serializers name the field that is too
# long; this only stops a list no serializer could want.
MAX_JSON_ITEMS = 500


class JSONTooComplex(ParseError):
    """Valid JSON, but deeper, wider or longer than any body the API takes."""

    default_detail = "The JSON body is too complex."


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
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
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
        refusal = shape_refusal(data)
        if refusal:
            raise JSONTooComplex(refusal)
        return data


def shape_refusal(data: Any) -> str | None:
    """Why ``data`` is beyond the bounds above, or None. Iterative: it must not recurse."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if len(value) > MAX_JSON_KEYS:
                return f"An object in the body has more than {MAX_JSON_KEYS} keys."
            if any(len(key) > MAX_JSON_KEY_LENGTH for key in value):
                return f"A key in the body is longer than {MAX_JSON_KEY_LENGTH} characters."
            children = value.values()
        elif isinstance(value, list):
            if len(value) > MAX_JSON_ITEMS:
                return f"A list in the body has more than {MAX_JSON_ITEMS} items."
            children = value
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            return f"The body is nested more than {MAX_JSON_DEPTH} levels."
        stack.extend((child, depth + 1) for child in children)
    return None


def _content_length(request: Any) -> int | None:
    meta = getattr(request, "META", None) or {}
    try:
        return int(meta.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
