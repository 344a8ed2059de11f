"""Catalog serializers: one output shape per object, strict inputs, the list's query parameters.

Inputs check each field's syntax; the rules across fields and rows (option
combinations, SKUs taken, category cycles) are ``catalog.services``', for
every write path.
"""

from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.media.serializers import MediaOutputSerializer, ProductImagesField
from catalog.models import SKU_PATTERN
from catalog.selectors import CategoryNode, ProductSort
from catalog.services import OptionInput, VariantInput
from ecommerce.api.ids import PREFIXES, PublicIdField
from ecommerce.api.serializers import StrictInputSerializer

PRICE_MAX = Decimal("99999999.99")
STOCK_MAX = 2_147_483_647  # PostgreSQL integer
WEIGHT_MAX = STOCK_MAX
IMAGES_MAX = 20
OPTIONS_MAX = 3
OPTION_VALUES_MAX = 100
VARIANTS_MAX = 250
CURRENCY_VALIDATOR = RegexValidator(
    r"^[A-Z]{3}$", "Enter a 3-letter ISO 4217 currency code, such as USD.", code="invalid_currency"
)
SKU_VALIDATOR = RegexValidator(
    SKU_PATTERN, "1 to 64 letters, digits, '-', '_' or '.'.", code="invalid_sku"
)
CATEGORY_SLUG_VALIDATOR = RegexValidator(
    r"^[-a-zA-Z0-9_]+$",
    "Enter a category slug: letters, digits, '-' or '_'.",
    code="invalid_category",
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


# --- output -----------------------------------------------------------------------------


class VariantOutputSerializer(serializers.Serializer):
    id = PublicIdField(PREFIXES["variant"])
    sku = serializers.CharField()
    options = serializers.DictField(child=serializers.CharField())
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    stock = serializers.IntegerField(min_value=0)
    weight = serializers.IntegerField(min_value=0, help_text="Grams.")


class ProductOptionOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    values = serializers.ListField(child=serializers.CharField())


class ProductOutputSerializer(serializers.Serializer):
    id = PublicIdField(PREFIXES["product"])
    name = serializers.CharField()
    slug = serializers.SlugField()
    description = serializers.CharField()
    price = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="The lowest price of its variants."
    )
    priceMax = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        source="price_max",
        help_text="The highest price of its variants.",
    )
    currency = serializers.CharField(min_length=3, max_length=3)
    category = serializers.CharField(source="category.slug", help_text="The category's slug.")
    stock = serializers.IntegerField(min_value=0, help_text="The sum of its variants' stock.")
    # Uploaded media (catalog.media) first, read from the prefetched rows, then external URLs.
    images = ProductImagesField()
    media = MediaOutputSerializer(many=True, read_only=True)
    options = ProductOptionOutputSerializer(many=True, source="ordered_options")
    variants = VariantOutputSerializer(many=True, source="live_variants")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


# --- product writes ---------------------------------------------------------------------


class SkuField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=64, validators=[SKU_VALIDATOR], **kwargs)


class WeightField(StrictIntegerField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=0, max_value=WEIGHT_MAX, help_text="Grams.", **kwargs)


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "minLength": 1, "maxLength": 50, "pattern": r"\S"},
        "minItems": 1,
        "maxItems": OPTION_VALUES_MAX,
        "uniqueItems": True,
    }
)
class OptionValuesField(serializers.ListField):
    """1 to 100 distinct values, each 1-50 characters; item errors keyed by index as text."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.CharField(min_length=1, max_length=50),
            min_length=1,
            max_length=OPTION_VALUES_MAX,
            **kwargs,
        )

    def to_internal_value(self, data: Any) -> list[str]:
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, dict):
                detail = {str(index): errors for index, errors in detail.items()}
            raise serializers.ValidationError(detail) from exc
        if len(set(values)) != len(values):
            raise serializers.ValidationError("Values must be distinct.")
        return values


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 50},
        "maxProperties": OPTIONS_MAX,
        "description": 'Each of the product\'s options with one of its values: {"Size": "M"}.',
    }
)
class VariantOptionsField(serializers.DictField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(min_length=1, max_length=50), **kwargs)

    def to_internal_value(self, data: Any) -> dict[str, str]:
        values = super().to_internal_value(data)
        if len(values) > OPTIONS_MAX:
            raise serializers.ValidationError(f"At most {OPTIONS_MAX} options.")
        return values


class OptionWriteSerializer(StrictInputSerializer):
    name = serializers.CharField(min_length=1, max_length=50)
    values = OptionValuesField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Required on update too, where DRF's partial validation would skip them:
        # an option is its name and values, or nothing.
        missing = {
            name: ["This field is required."] for name in ("name", "values") if name not in attrs
        }
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class VariantWriteSerializer(StrictInputSerializer):
    sku = SkuField(
        required=False, help_text="Unique across the catalog; generated from the slug when absent."
    )
    options = VariantOptionsField(required=False)
    price = PriceField(help_text="Greater than 0, at most 99999999.99, two decimals at most.")
    stock = StrictIntegerField(min_value=0, max_value=STOCK_MAX, required=False)
    weight = WeightField(required=False)


class VariantUpdateInProductSerializer(VariantWriteSerializer):
    # On update, a variant of the product body may name the variant it changes.
    id = PublicIdField(
        PREFIXES["variant"],
        required=False,
        help_text="An existing variant of this product (else matched by `sku`, then `options`).",
    )


class _ProductFieldsSerializer(StrictInputSerializer):
    name = serializers.CharField(min_length=1, max_length=255)
    slug = serializers.SlugField(
        max_length=280,
        required=False,
        help_text="Generated from `name` when absent on create, and made unique.",
    )
    description = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    currency = CurrencyField(required=False, help_text="ISO 4217 code; default USD.")
    category = serializers.CharField(
        min_length=1,
        max_length=100,
        validators=[CATEGORY_SLUG_VALIDATOR],
        help_text="A category slug (any case); an unknown one is created at the root.",
    )
    images = ImageUrlListField(required=False, help_text="http(s) image URLs.")

    def validate_slug(self, value: str) -> str:
        return value.lower()

    def validate_category(self, value: str) -> str:
        return value.lower()


class ProductWriteSerializer(_ProductFieldsSerializer):
    # A product as an admin writes it: the design's body (`price`, optional
    # `stock`, `sku`, `weight`: a simple product, one variant) or `options`
    # with `variants`, not both. On update (PUT or PATCH) every field is
    # optional, only the fields sent change, and `options` and `variants`
    # describe the whole set. Unknown or read-only fields are refused.
    price = PriceField(
        required=False,
        help_text=(
            "A simple product's price: required on create without `variants`, refused "
            "with them. Greater than 0, at most 99999999.99, two decimals at most."
        ),
    )
    stock = StrictIntegerField(
        min_value=0,
        max_value=STOCK_MAX,
        required=False,
        help_text="A simple product's stock (default 0); refused with `variants`.",
    )
    sku = SkuField(
        required=False,
        help_text="A simple product's SKU, generated from the slug when absent.",
    )
    weight = WeightField(required=False)
    options = OptionWriteSerializer(  # type: ignore[call-arg]
        many=True,
        max_length=OPTIONS_MAX,
        required=False,
        help_text="At most 3 options, each with 1-100 distinct values; needs `variants`.",
    )
    variants = VariantUpdateInProductSerializer(  # type: ignore[call-arg]
        many=True,
        min_length=1,
        max_length=VARIANTS_MAX,
        required=False,
        help_text=(
            "One per combination of option values sold. On update: the whole set, each "
            "matched by `id`, else `sku`, else `options`; those left out leave the catalog."
        ),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        if "variants" in attrs or "options" in attrs:
            for name in ("price", "stock", "sku", "weight"):
                if name in attrs:
                    errors[name] = ["Not allowed with options or variants: set it on each variant."]
        if not self.partial:
            if "options" in attrs and "variants" not in attrs:
                errors["variants"] = ["Required with options: one per combination sold."]
            elif "variants" not in attrs and "price" not in attrs:
                errors["price"] = ["This field is required."]
            for index, variant in enumerate(attrs.get("variants", [])):
                if "id" in variant:
                    errors[f"variants[{index}].id"] = ["Only on update: a new product has none."]
        names = [option["name"].lower() for option in attrs.get("options", [])]
        if len(set(names)) != len(names):
            errors["options"] = ["Option names must be distinct."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def service_arguments(self) -> dict[str, Any]:
        """The validated body as ``catalog.services`` arguments (``product_create`` or
        the ``data`` of ``product_update``)."""
        data = dict(self.validated_data)
        if "options" in data:
            data["options"] = [
                OptionInput(name=option["name"], values=tuple(option["values"]))
                for option in data["options"]
            ]
        if "variants" in data:
            data["variants"] = [variant_input(variant) for variant in data["variants"]]
        return data


def variant_input(data: dict[str, Any]) -> VariantInput:
    return VariantInput(
        options=dict(data.get("options", {})),
        price=data.get("price"),
        stock=data.get("stock"),
        sku=data.get("sku"),
        weight=data.get("weight"),
        id=data.get("id"),
    )


class VariantCreateSerializer(VariantWriteSerializer):
    # POST /v1/products/:idOrSlug/variants: `options` name each of the product's options.
    options = VariantOptionsField(
        required=False, help_text="Required when the product has options; `{}` when it has none."
    )


class VariantUpdateSerializer(StrictInputSerializer):
    # PATCH /v1/products/:idOrSlug/variants/:variantId; the options of a variant
    # are what it is and cannot change (add another variant instead).
    sku = SkuField(required=False)
    price = PriceField(required=False)
    stock = StrictIntegerField(min_value=0, max_value=STOCK_MAX, required=False)
    weight = WeightField(required=False)
    options = VariantOptionsField(read_only=True)


# --- categories -------------------------------------------------------------------------


@extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/CategoryOutput"}})
class CategoryChildrenField(serializers.Field):
    def to_representation(self, value: list[CategoryNode]) -> list[dict[str, Any]]:
        return CategoryOutputSerializer(value, many=True).data  # type: ignore[return-value]


class CategoryOutputSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    parent = serializers.SlugField(allow_null=True, help_text="The parent's slug; null: a root.")  # type: ignore[assignment]
    position = serializers.IntegerField(min_value=0)
    path = serializers.ListField(
        child=serializers.SlugField(), help_text="The slugs from the root to this category."
    )
    productCount = serializers.IntegerField(
        min_value=0,
        source="product_count",
        help_text="Products in the catalog in this category and its descendants.",
    )
    children = CategoryChildrenField()


class CategoryWriteSerializer(StrictInputSerializer):
    # POST /v1/categories; on PATCH every field is optional and only those sent change.
    name = serializers.CharField(min_length=1, max_length=100)
    slug = serializers.SlugField(
        max_length=100, required=False, help_text="Generated from `name` when absent on create."
    )
    parent = serializers.SlugField(  # type: ignore[assignment]
        max_length=100,
        required=False,
        allow_null=True,
        help_text="The parent's slug; null or absent: a root. Never itself or a descendant.",
    )
    position = StrictIntegerField(
        min_value=0,
        max_value=STOCK_MAX,
        required=False,
        help_text="Order among its siblings; default: after the last.",
    )

    def validate_slug(self, value: str) -> str:
        return value.lower()


class ProductListQuerySerializer(serializers.Serializer):
    """Query parameters of GET /v1/products, besides ``page`` and ``limit``."""

    category = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="A category slug (any case): products in it and in its descendants.",
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
            "category": data.get("category", "").lower() or None,
            "search": search,
            "min_price": data.get("minPrice"),
            "max_price": data.get("maxPrice"),
            "in_stock": data.get("inStock"),
            "sort": ProductSort(sort),
        }
