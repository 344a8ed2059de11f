"""JSON renderer that wraps every response in the contract's envelope."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson
from rest_framework.renderers import BaseRenderer


class Envelope(dict):
    """A response body that is already enveloped (lists, errors): rendered as is."""


def _default(value: Any) -> Any:
    # Money leaves Python as Decimal; JSON has only numbers. A quantized
    # Decimal("299.99") becomes the float 299.99, whose shortest repr is exact.
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def render_json(data: Any) -> bytes:
    # Non-string keys: DRF reports errors of list items keyed by their index.
    return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)


class EnvelopeJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code in (204, 304):
            return b""
        if not isinstance(data, Envelope):
            data = {"success": True, "data": data}
        return render_json(data)
