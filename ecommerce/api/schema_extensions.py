"""drf-spectacular extensions for the project's own serializer fields."""

from decimal import Decimal

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from rest_framework import serializers


class PublicIdFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "ecommerce.api.ids.PublicIdField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return self.target.openapi_schema()


class DecimalFieldExtension(OpenApiSerializerFieldExtension):
    """A decimal with ``decimal_places`` says so: ``multipleOf`` (0.01 for money).

    The server refuses a third decimal (400), so a schema without it would call
    19.999 valid.
    """

    target_class = "rest_framework.fields.DecimalField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        places = self.target.decimal_places
        if places is not None and schema.get("type") == "number":
            schema["multipleOf"] = float(Decimal(1).scaleb(-places))
        return schema


# DRF refuses NUL in every CharField (PostgreSQL text cannot hold it) and,
# where blanks are refused, a value that is only whitespace once trimmed.
# Whitespace as Python's str.strip() and ECMA's \s both understand it.
NO_NUL_PATTERN = r"^[^\x00]*$"
NOT_BLANK_NO_NUL_PATTERN = r"^[^\x00]*[^\x00\s\x1c-\x1f\x85][^\x00]*$"


class CharFieldExtension(OpenApiSerializerFieldExtension):
    """An input string says what DRF's CharField refuses: NUL, and blank after trimming."""

    target_class = "rest_framework.fields.CharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        # A regex validator becomes the pattern later (drf-spectacular), and refuses NUL itself.
        has_regex = "pattern" in schema or any(hasattr(v, "regex") for v in field.validators)
        if direction == "request" and schema.get("type") == "string" and not has_regex:
            blank_refused = field.trim_whitespace and not field.allow_blank
            schema["pattern"] = NOT_BLANK_NO_NUL_PATTERN if blank_refused else NO_NUL_PATTERN
        return schema


class ShopJWTScheme(SimpleJWTScheme):
    """The project's JWT authentication documents itself as SimpleJWT's (jwtAuth)."""

    target_class = "accounts.authentication.JWTAuthentication"


class StrictInputSerializerExtension(OpenApiSerializerExtension):
    """Request bodies say what the server enforces (ecommerce.api.serializers).

    ``additionalProperties: false``: an unknown field is refused with 400, so
    the schema must not invite one. ``minItems``/``maxItems``: drf-spectacular
    leaves out the bounds of a nested ``many=True`` serializer.
    """

    target_class = "ecommerce.api.serializers.StrictInputSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction != "request":
            return schema
        schema["additionalProperties"] = False
        for name, field in self.target.fields.items():
            prop = schema.get("properties", {}).get(name)
            if not isinstance(field, serializers.ListSerializer) or prop is None:
                continue
            min_items = field.min_length if field.min_length is not None else 0  # type: ignore[attr-defined]
            if not field.allow_empty:
                min_items = max(min_items, 1)
            if min_items:
                prop["minItems"] = min_items
            if field.max_length is not None:  # type: ignore[attr-defined]
                prop["maxItems"] = field.max_length  # type: ignore[attr-defined]
        return schema
