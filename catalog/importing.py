"""Bulk import of products (manage.py import_products): validate every row, then write all."""

from dataclasses import dataclass
from typing import Any

from catalog import services
from catalog.models import Product
from catalog.serializers import ProductWriteSerializer
from ecommerce.api.errors import ApplicationError


class ImportRowError(ApplicationError):
    code = "validation_error"
    message = "A row could not be imported."


@dataclass(frozen=True)
class ValidRow:
    row: int
    data: dict[str, Any]


def products_validate(*, rows: list[tuple[int, Any]]) -> tuple[list[ValidRow], list[str]]:
    """Check every row as the API would; returns the valid rows and one message per problem.

    A row is ``(row number, values)``; ``values`` is a dict of the API's field
    names, or a string describing why the row could not be read at all.
    Besides field validation: a slug used twice in the file, and a slug of a
    product removed from the catalog, are errors.
    """
    valid: list[ValidRow] = []
    errors: list[str] = []
    seen_slugs: dict[str, int] = {}
    for number, values in rows:
        if isinstance(values, str):
            errors.append(f"row {number}: {values}")
            continue
        if not isinstance(values, dict):
            errors.append(f"row {number}: expected an object with product fields")
            continue
        body = ProductWriteSerializer(data=values)
        if not body.is_valid():
            errors.extend(_messages(number, body.errors))
            continue
        slug = body.validated_data.get("slug")
        if slug is not None:
            if slug in seen_slugs:
                errors.append(f"row {number}: slug: also used on row {seen_slugs[slug]}")
                continue
            seen_slugs[slug] = number
        valid.append(ValidRow(row=number, data=dict(body.validated_data)))

    removed = set(
        Product.objects.filter(slug__in=seen_slugs, deleted_at__isnull=False).values_list(
            "slug", flat=True
        )
    )
    for slug in sorted(removed, key=seen_slugs.__getitem__):
        errors.append(
            f"row {seen_slugs[slug]}: slug: belongs to a product removed from the catalog"
        )
    return valid, errors


def products_import(*, rows: list[ValidRow]) -> tuple[int, int]:
    """Create or update (by slug) every row; returns (created, updated).

    Call inside ``transaction.atomic()``: a failure raises ImportRowError naming
    the row, and the caller's rollback leaves nothing half-imported.
    """
    slugs = [row.data["slug"] for row in rows if "slug" in row.data]
    existing = {product.slug: product for product in Product.objects.filter(slug__in=slugs)}
    created = updated = 0
    for row in rows:
        try:
            product = existing.get(row.data.get("slug", ""))
            if product is None:
                services.product_create(**row.data)
                created += 1
            else:
                services.product_update(product=product, data=row.data)
                updated += 1
        except ApplicationError as exc:
            raise ImportRowError(f"row {row.row}: {exc.message}") from exc
    return created, updated


def _messages(number: int, errors: dict[str, Any]) -> list[str]:
    messages = []
    for field, problems in errors.items():
        if isinstance(problems, dict):  # a list field: {index: [messages]}
            for index, inner in problems.items():
                messages.extend(f"row {number}: {field}[{index}]: {text}" for text in inner)
        else:
            messages.extend(f"row {number}: {field}: {text}" for text in problems)
    return messages
