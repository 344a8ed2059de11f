"""JSON renderer that wraps every response in the contract's envelope."""

from collections.abc import Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer

from ecommerce.api.envelope import Envelope, render_json, success_body


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
            data = success_body(data)
        return render_json(data)
