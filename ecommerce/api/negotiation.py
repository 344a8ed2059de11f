"""Content negotiation: the API speaks JSON only, so it does not negotiate."""

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class JSONOnlyContentNegotiation(DefaultContentNegotiation):
    """A view with one renderer (every API view: the envelope) answers with it.

    DRF's negotiation parses the Accept header and the query string on every
    request only to pick the one renderer there is, or to refuse with 406 a
    client that says it wants something else. A JSON API answers JSON, as the
    contract says, whatever the client prefers. Views with several renderers
    (the OpenAPI schema: YAML or JSON) are negotiated as before.
    """

    def select_renderer(  # type: ignore[override]  # DRF passes the view's list
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        if len(renderers) == 1 and not format_suffix:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
