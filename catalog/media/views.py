"""Media API (admin uploads and edits) and the local file server. Thin: validate, call a service.

Uploads are refused at 413 before their body is read whole: on a declared
``Content-Length`` over the limit before anything is read, and, when the
declared length fits but the file does not, by an upload handler that stops
at the first chunk past the limit. (Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``
counts only the form's non-file fields, so it cannot do this.)
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, MemoryFileUploadHandler
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, re_path
from django.views.decorators.http import require_safe
from django.views.static import serve
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAdminRole
from catalog import selectors
from catalog.media import services
from catalog.media.models import ProductMedia
from catalog.media.serializers import (
    MediaOutputSerializer,
    MediaUpdateSerializer,
    MediaUploadSerializer,
)
from catalog.media.storage import NAME_RE, media_storage_is_local
from catalog.models import Product
from ecommerce.api.ids import PREFIXES, parse_public_id
from ecommerce.api.parsers import PayloadTooLarge

# Room for the multipart boundaries, part headers and the alt text around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024

_ID_OR_SLUG = OpenApiParameter(
    "id_or_slug", str, OpenApiParameter.PATH, description="`prod_<32 hex digits>` or the slug."
)
_MEDIA_ID = OpenApiParameter(
    "media_id", str, OpenApiParameter.PATH, description="`img_<32 hex digits>`."
)
_NOT_FOUND = OpenApiResponse(description="No such product or media, or removed (not_found).")


class UploadLimitHandler(FileUploadHandler):
    """Stops a multipart body at the first chunk that takes its files past the limit (413)."""

    def __init__(self, request: HttpRequest | None = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise PayloadTooLarge(
                f"The file is larger than {settings.MEDIA_MAX_UPLOAD_BYTES} bytes."
            )
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class ProductMediaListView(APIView):
    permission_classes = [IsAdminRole]
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["media"],
        parameters=[_ID_OR_SLUG],
        request={"multipart/form-data": MediaUploadSerializer},
        responses={
            201: MediaOutputSerializer,
            404: _NOT_FOUND,
            413: OpenApiResponse(description="Over MEDIA_MAX_UPLOAD_BYTES (payload_too_large)."),
            415: OpenApiResponse(
                description="Not JPEG, PNG or WebP, or not multipart (unsupported_media_type)."
            ),
        },
        summary="Upload an image of a product (admin)",
        description=(
            "`multipart/form-data` with `file` and optional `alt`, `position`. The type is "
            "recognised from the bytes. Answers `status: processing`; the renditions are "
            "made in the background, then `status` is `ready` (or `failed`, with `error`). "
            "A corrupt or truncated image, or one over MEDIA_MAX_PIXELS, is a 400."
        ),
    )
    def post(self, request: Request, id_or_slug: str) -> Response:
        limit = settings.MEDIA_MAX_UPLOAD_BYTES
        declared = _content_length(request)
        if declared is not None and declared > limit + MULTIPART_OVERHEAD_BYTES:
            raise PayloadTooLarge(f"The file is larger than {limit} bytes.")
        product = _product(id_or_slug)
        # Before request.data is touched: the parser streams through these.
        request._request.upload_handlers = [
            UploadLimitHandler(request._request, limit=limit),
            MemoryFileUploadHandler(request._request),
        ]
        body = MediaUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        media = services.media_create(
            product=product,
            data=data["file"].read(),
            alt=data.get("alt", ""),
            position=data.get("position"),
        )
        return Response(MediaOutputSerializer(media).data, status=status.HTTP_201_CREATED)


class ProductMediaDetailView(APIView):
    permission_classes = [IsAdminRole]

    @extend_schema(
        tags=["media"],
        parameters=[_ID_OR_SLUG, _MEDIA_ID],
        request=MediaUpdateSerializer,
        responses={200: MediaOutputSerializer, 404: _NOT_FOUND},
        summary="Change a media's alt text or position (admin)",
    )
    def patch(self, request: Request, id_or_slug: str, media_id: str) -> Response:
        media = _media(id_or_slug, media_id)
        body = MediaUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        media = services.media_update(media=media, **body.validated_data)
        return Response(MediaOutputSerializer(media).data)

    @extend_schema(
        tags=["media"],
        parameters=[_ID_OR_SLUG, _MEDIA_ID],
        request=None,
        responses={204: None, 404: _NOT_FOUND},
        summary="Delete a media (admin)",
        description="Its files are deleted once the deletion commits.",
    )
    def delete(self, request: Request, id_or_slug: str, media_id: str) -> Response:
        services.media_delete(media=_media(id_or_slug, media_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _product(id_or_slug: str) -> Product:
    product_id = parse_public_id(PREFIXES["product"], id_or_slug)
    if product_id is not None:
        product = selectors.product_get(product_id=product_id)
    elif len(id_or_slug) <= 280:
        product = selectors.product_get_by_slug(slug=id_or_slug)
    else:
        product = None
    if product is None:
        raise NotFound()
    return product


def _media(id_or_slug: str, media_id: str) -> ProductMedia:
    product = _product(id_or_slug)
    pk = parse_public_id(PREFIXES["media"], media_id)
    media = ProductMedia.objects.filter(pk=pk, product=product).first() if pk else None
    if media is None:
        raise NotFound()
    return media


def _content_length(request: Request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


# --- the local file server (embedded default) -----------------------------------


@require_safe
def media_file(request: HttpRequest, path: str) -> HttpResponseBase:
    """A stored file with the headers a CDN would cache forever by (local storage only)."""
    if not NAME_RE.fullmatch(path):
        raise Http404()
    response = serve(request, path, document_root=default_storage.location)  # type: ignore[attr-defined]
    response["Cache-Control"] = settings.MEDIA_CACHE_CONTROL
    return response


def media_file_urlpatterns() -> list[URLPattern]:
    """The route of ``media_file`` under MEDIA_URL's path, when files are stored locally."""
    prefix = urlsplit(settings.MEDIA_URL).path.strip("/")
    if not prefix or not media_storage_is_local():
        return []
    return [re_path(rf"^{re.escape(prefix)}/(?P<path>.+)$", media_file, name="media-file")]
