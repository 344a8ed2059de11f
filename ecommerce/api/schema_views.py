"""The OpenAPI schema and Swagger UI views, whose errors are enveloped JSON too.

drf-spectacular's views render YAML, JSON or HTML. When one of them refuses a
request (an Accept header it cannot satisfy: 406, a ``?format=`` it does not
know: 404, a rate limit: 429), DRF renders the error with the view's first
renderer, and the YAML and HTML renderers cannot render the error envelope:
a client's header would make a 500. Errors are rendered as the rest of the API
renders them.
"""

from typing import Any

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.response import Response

from ecommerce.api.renderers import EnvelopeJSONRenderer


class _EnvelopedErrors:
    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        if isinstance(response, Response) and response.status_code >= 400:
            renderer = EnvelopeJSONRenderer()
            request.accepted_renderer = renderer
            request.accepted_media_type = renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]


class SchemaView(_EnvelopedErrors, SpectacularAPIView):
    pass


class SwaggerView(_EnvelopedErrors, SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script at ``?script`` rather than inline, and a
    page without inline styles: /v1/docs has a Content-Security-Policy that
    allows neither (ecommerce.content_security_policy_middleware)."""

    template_name = "ecommerce/swagger_ui.html"
