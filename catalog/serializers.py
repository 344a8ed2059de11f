"""Product serializers: one output shape, strict inputs, and the list's query parameters."""

from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.media.serializers import MediaOutputSerializer, ProductImagesField
from catalog.selectors import ProductSort
from ecommerce.api.ids import PREFIXES, PublicIdField
from ecommerce.api.serializers import StrictInputSerializer

PRICE_MAX = Decimal("99999999.99")
STOCK_MAX = 2_147_483_647  # PostgreSQL integer
IMAGES_MAX = 20
CURRENCY_VALIDATOR = RegexValidator(
    r"^[A-Z]{3}$", "Enter a 3-letter ISO 4217 currency code, such as USD.", code="invalid_currency"
)


class HttpUrlValidator(URLValidator):
    """An http(s) URL without a user name or password in it.

    Image URLs are handed as they are to every client that shows the product:
    credentials in them would leak to all, and ``https://trusted@evil.example/``
    hides the real host from a reader. (The server itself never fetches them.)
    """

    def __call__(self, value: Any) -> None:
        super().__call__(value)
        if "@" in urlsplit(value).netloc:
            raise ValidationError(
                "Enter a URL without a user name or password.", code="url_credentials"
            )


HTTP_URL_VALIDATOR = HttpUrlValidator(
    schemes=["http", "https"], message="Enter an http or https URL.", code="invalid_url"
)


class ProductOutputSerializer(serializers.Serializer):
    id = PublicIdField(PREFIXES["product"])
    name = serializers.CharField()
    slug = serializers.SlugField()
    description = serializers.CharField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    currency = serializers.CharField(min_length=3, max_length=3)
    category = serializers.CharField()
    stock = serializers.IntegerField(min_value=0)
    # Uploaded media (catalog.media), read from the prefetched rows.
    images = ProductImagesField()
    media = MediaOutputSerializer(many=True, read_only=True)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


class PriceField(serializers.DecimalField):
    """A price: > 0, at most 99999999.99, at most two decimals; JSON number or string."""

    def __init__(self, **kwargs: Any) -> None:
        # Two decimals make "> 0" the same as ">= 0.01", the bound the schema shows.
        super().__init__(
            max_digits=10,
            decimal_places=2,
            min_value=Decimal("0.01"),
            max_value=PRICE_MAX,
            **kwargs,
        )

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if value <= 0:
            raise serializers.ValidationError("Ensure this value is greater than 0.")
        return value


class StrictIntegerField(serializers.IntegerField):
    """An integer, refusing booleans and numbers with a fractional part (``5.5``)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or (isinstance(data, float) and not data.is_integer()):
            self.fail("invalid")
        return super().to_internal_value(data)


class CurrencyField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_length=3, max_length=3, **kwargs)
        self.validators.append(CURRENCY_VALIDATOR)

    def to_internal_value(self, data: Any) -> str:
        return super().to_internal_value(data).upper()


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 2048},
        "maxItems": IMAGES_MAX,
    }
)
class ImageUrlListField(serializers.ListField):
    """A list of http(s) URLs; errors are keyed by the item's index as a string.

    DRF keys a list's item errors by int, which a JSON object cannot hold.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.CharField(max_length=2048, validators=[HTTP_URL_VALIDATOR]),
            max_length=IMAGES_MAX,
            **kwargs,
        )

    def run_child_validation(self, data: list[Any]) -> list[Any]:
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, dict):
                detail = {str(index): errors for index, errors in detail.items()}
            raise serializers.ValidationError(detail) from exc


class ProductWriteSerializer(StrictInputSerializer):
    """A product as an admin writes it. On update (PUT or PATCH) every field is optional
    and only the fields sent change; unknown or read-only fields are refused."""

    name = serializers.CharField(min_length=1, max_length=255)
    slug = serializers.SlugField(
        max_length=280,
        required=False,
        help_text="Generated from `name` when absent on create, and made unique.",
    )
    description = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    price = PriceField(help_text="Greater than 0, at most 99999999.99, two decimals at most.")
    currency = CurrencyField(required=False, help_text="ISO 4217 code; default USD.")
    category = serializers.CharField(min_length=1, max_length=100)
    stock = StrictIntegerField(min_value=0, max_value=STOCK_MAX, required=False)
    images = ImageUrlListField(required=False, help_text="http(s) image URLs.")

    def validate_slug(self, value: str) -> str:
        return value.lower()


class ProductListQuerySerializer(serializers.Serializer):
    """Query parameters of GET /v1/products, besides ``page`` and ``limit``."""

    category = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Exact category name."
    )
    search = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=(
            "Words in the name or description (PostgreSQL full-text search with "
            "stemming). Without `sort`, results come by relevance."
        ),
    )
    minPrice = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0"), required=False
    )
    maxPrice = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text="At least `minPrice` when both are given (400 otherwise).",
    )
    inStock = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="`true`: only products with stock; `false`: only products without.",
    )
    sort = serializers.ChoiceField(
        choices=[choice.value for choice in ProductSort if choice != ProductSort.RELEVANCE],
        required=False,
        help_text="`newest` by default (by relevance when `search` is given).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        low, high = attrs.get("minPrice"), attrs.get("maxPrice")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"maxPrice": ["Must be at least minPrice."]})
        return attrs

    def selector_filters(self) -> dict[str, Any]:
        """The validated query as ``catalog.selectors.product_list`` arguments, normalised.

        Normalised means equivalent queries give equal dicts (they share a cache entry).
        """
        data = self.validated_data
        search = " ".join(data.get("search", "").split()).lower() or None
        sort = data.get("sort") or (ProductSort.RELEVANCE if search else ProductSort.NEWEST)
        return {
            "category": data.get("category") or None,
            "search": search,
            "min_price": data.get("minPrice"),
            "max_price": data.get("maxPrice"),
            "in_stock": data.get("inStock"),
            "sort": ProductSort(sort),
        }
