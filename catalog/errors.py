"""Domain errors of the catalog, rendered by the one exception handler."""

from typing import Any

from ecommerce.api.errors import ApplicationError, Conflict


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

    code = "validation_error"
    status = 400
    message = "The product's options or variants are not valid."


class LastVariant(Conflict):
    message = "A product keeps at least one variant: remove the product instead."


class CategoryInvalid(ApplicationError):
    code = "validation_error"
    status = 400
    message = "The category is not valid."


class CategorySlugTaken(Conflict):
    message = "Another category already uses this slug."

    def __init__(self) -> None:
        super().__init__(details={"slug": [self.message]})


class CategoryInUse(Conflict):
    message = "The category still has products or subcategories."
