"""Media on the wire: the media object, the product's ``images`` list, upload and edit bodies.

Output reads only the rows (prefetched with the product): URLs are
``MEDIA_URL`` plus the stored names, so no storage call and no Pillow.
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.media.models import POSITION_MAX, ProductMedia
from catalog.media.storage import media_url
from ecommerce.api.ids import PREFIXES, PublicIdField
from ecommerce.api.serializers import StrictInputSerializer

FORMATS = ["jpeg", "png", "webp"]


class MediaUrlField(serializers.CharField):
    """A stored name as its URL (``MEDIA_URL`` + name)."""

    def to_representation(self, value: str) -> str:
        return media_url(value)


@extend_schema_field(
    {"type": "string", "format": "uri-reference", "description": "Starts with `MEDIA_URL`."}
)
class _MediaUrlSchemaField(MediaUrlField):
    pass


class RenditionOutputSerializer(serializers.Serializer):
    width = serializers.IntegerField(min_value=1)
    height = serializers.IntegerField(min_value=1)
    format = serializers.ChoiceField(choices=FORMATS)
    url = _MediaUrlSchemaField(source="file")


class MediaOutputSerializer(serializers.Serializer):
    id = PublicIdField(PREFIXES["media"])
    alt = serializers.CharField()
    position = serializers.IntegerField(min_value=0)
    width = serializers.IntegerField(min_value=1, help_text="Of the original, orientation applied.")
    height = serializers.IntegerField(min_value=1)
    status = serializers.ChoiceField(choices=ProductMedia.Status.values)
    error = serializers.CharField(
        allow_null=True, help_text="Why renditions could not be made (status `failed`), else null."
    )
    url = _MediaUrlSchemaField(source="file", help_text="The original, without metadata.")
    renditions = RenditionOutputSerializer(
        many=True,
        help_text=(
            "Widths 160, 480, 960 and 1600 (never upscaled), each as WebP and as JPEG "
            "(PNG for images with transparency); empty until `status` is `ready`."
        ),
    )

    def to_representation(self, instance: ProductMedia) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["error"] = instance.error or None
        return data


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "format": "uri-reference"},
        "description": (
            "The ready uploaded media first (each at its largest JPEG or PNG rendition), "
            "then the external URLs given on write."
        ),
    }
)
class ProductImagesField(serializers.Field):
    """A product's ``images``: its ready media at their largest rendition, then external URLs."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, product: Any) -> list[str]:
        uploaded = [
            media_url(largest["file"])
            for media in product.media.all()
            if media.status == ProductMedia.Status.READY
            and (largest := _largest_fallback(media.renditions)) is not None
        ]
        # A client that read ``images`` and wrote the list back sent our URLs as
        # external ones: each is listed once.
        shown = set(uploaded)
        return [*uploaded, *(url for url in product.images if url not in shown)]


def _largest_fallback(renditions: list[dict[str, Any]]) -> dict[str, Any] | None:
    # JPEG or PNG: what every client displays (the WebP twins are for srcset).
    candidates = [rendition for rendition in renditions if rendition["format"] != "webp"]
    return max(candidates, key=lambda rendition: rendition["width"], default=None)


class MediaUploadSerializer(StrictInputSerializer):
    file = serializers.FileField(
        allow_empty_file=False,
        help_text="A JPEG, PNG or WebP (type from its bytes), at most MEDIA_MAX_UPLOAD_BYTES.",
    )
    alt = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    position = serializers.IntegerField(
        min_value=0, max_value=POSITION_MAX, required=False, help_text="Default: after the others."
    )


class MediaUpdateSerializer(StrictInputSerializer):
    alt = serializers.CharField(max_length=255, required=False, allow_blank=True)
    position = serializers.IntegerField(min_value=0, max_value=POSITION_MAX, required=False)
