"""Public ids: a type prefix plus the UUID primary key's 32 hex digits."""

import uuid
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import NotFound

PREFIXES = {
    "user": "usr",
    "product": "prod",
    "variant": "var",
    "order": "ord",
    "payment": "pay",
    "media": "img",
    "shipping_method": "ship",
    "tax_rate": "tax",
    "discount_code": "disc",
}


def public_id(prefix: str, value: uuid.UUID) -> str:
    return f"{prefix}_{value.hex}"


def parse_public_id(prefix: str, raw: str) -> uuid.UUID | None:
    """The UUID behind ``<prefix>_<hex>``, or None when ``raw`` is not one."""
    head, sep, tail = raw.partition("_")
    if not sep or head != prefix or len(tail) != 32:
        return None
    try:
        return uuid.UUID(hex=tail)
    except ValueError:
        return None


def uuid_from_path(prefix: str, raw: str) -> uuid.UUID:
    """For URL paths: a malformed id is simply an object that does not exist."""
    value = parse_public_id(prefix, raw)
    if value is None:
        raise NotFound()
    return value


class PublicIdField(serializers.Field):
    """Reads and writes ``<prefix>_<hex>``; the Python side is a UUID."""

    def __init__(self, prefix: str, **kwargs: Any) -> None:
        self.prefix = prefix
        super().__init__(**kwargs)

    def openapi_schema(self) -> dict[str, str]:
        return {
            "type": "string",
            "pattern": f"^{self.prefix}_[0-9a-f]{{32}}$",
            "example": f"{self.prefix}_{'0' * 24}{'1' * 8}",
        }

    def to_representation(self, value: uuid.UUID) -> str:
        return public_id(self.prefix, value)

    def to_internal_value(self, data: Any) -> uuid.UUID:
        value = parse_public_id(self.prefix, data) if isinstance(data, str) else None
        if value is None:
            raise serializers.ValidationError(
                f"Must be an id of the form {self.prefix}_<32 hex digits>."
            )
        return value
