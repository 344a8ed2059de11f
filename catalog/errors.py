"""Domain errors of the catalog, rendered by the one exception handler."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from ecommerce.errors import ApplicationError, Conflict, ErrorCode


class SlugTaken(Conflict):
    message = "Another product already uses this slug."

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        super().__init__(
            message,
            details=details if details is not None else {"slug": [self.message]},
        )


class SkuTaken(Conflict):
    """A SKU belongs to another variant (of any product, in the catalog or removed).

    ``details`` names the field: ``sku``, or ``variants[2].sku`` in a product body.
    """

    message = "Another variant already uses this SKU."

    def __init__(self, fields: list[str]) -> None:
        super().__init__(details={field: [self.message] for field in fields})


class VariantInvalid(ApplicationError):
    """Options or variants that cannot stand together (combinations, values, SKUs).

    The syntax of each field is the serializers'; these are the rules across
    fields and rows, checked by ``catalog.services`` for every write path.
    """

    code = ErrorCode.VALIDATION_ERROR
    message = "The product's options or variants are not valid."


class LastVariant(Conflict):
    message = "A product keeps at least one variant: remove the product instead."


class CategoryInvalid(ApplicationError):
    code = ErrorCode.VALIDATION_ERROR
    message = "The category is not valid."


class CategorySlugTaken(Conflict):
    message = "Another category already uses this slug."

    def __init__(self) -> None:
        super().__init__(details={"slug": [self.message]})


class CategoryInUse(Conflict):
    message = "The category still has products or subcategories."


@dataclass(frozen=True)
class ShortLine:
    """A basket line short of stock: what was asked for, what there is."""

    product_id: uuid.UUID = field(metadata={"public_id": "product"})
    variant_id: uuid.UUID = field(metadata={"public_id": "variant"})
    sku: str
    requested: int
    available: int


class InsufficientStock(ApplicationError):
    """Carries every short line, so a client can fix its whole basket at once.

    The API writes them as ``details.items`` (``productId``, ``variantId``,
    ``sku``, ``requested``, ``available``).
    """

    code = ErrorCode.INSUFFICIENT_STOCK
    message = ErrorCode.INSUFFICIENT_STOCK.message

    def __init__(self, lines: list[ShortLine]) -> None:
        self.lines = list(lines)
        super().__init__(details={"items": self.lines})


class ProductUnavailable(ApplicationError):
    """``details`` keyed by each line's label (``items[2]``)."""

    code = ErrorCode.VALIDATION_ERROR
    message = "One or more products do not exist or are no longer sold."


class QuantityTooLarge(ApplicationError):
    code = ErrorCode.VALIDATION_ERROR
    message = "Too many of one item."
