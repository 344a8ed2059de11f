"""Bulk import of products (manage.py import_products): one row per variant, rows
grouped into products by ``handle`` (or ``slug``); every row checked, then all
written or none.

- A product's fields (``name``, ``description``, ``category``, ``currency``,
  ``images``) come from its first row; its later rows may leave them empty or
  repeat them, not contradict them.
- A variant's fields are ``price``, ``stock``, ``sku``, ``weight`` and its
  options: ``option1_name``/``option1_value`` up to ``option3_*`` (CSV; in
  JSON these keys, or ``"options": {"Size": "M"}``). Later rows may leave the
  option names empty. Rows without options are a simple product: one row.
- A handle that exists updates that product; its variants are matched by SKU,
  then by options, and the product's variants in the catalog that the file
  leaves out leave the catalog (the file describes the product, as a product
  body does). Rows without a handle each make a product with a generated slug.

Errors name the row (CSV: the line, header = 1; JSON: the position, from 1)
and the field. The rules across rows and the catalog (combinations, SKUs taken)
are the services': each product is written in a savepoint and every refusal is
collected, then the whole import rolls back if there was any.
"""

import re
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import transaction

from catalog import services
from catalog.models import Product
from catalog.serializers import ProductWriteSerializer, VariantWriteSerializer
from ecommerce.errors import ApplicationError, ErrorCode

PRODUCT_FIELDS = ("name", "description", "category", "currency", "images")
VARIANT_FIELDS = ("price", "stock", "sku", "weight")
OPTION_COLUMNS = tuple(
    f"option{number}_{part}" for number in (1, 2, 3) for part in ("name", "value")
)
# In the order error reports name them (the design's columns first, as before).
COLUMNS = (
    "name",
    "handle",
    "slug",
    "description",
    "price",
    "currency",
    "category",
    "stock",
    "images",
    "sku",
    "weight",
    *OPTION_COLUMNS,
)
_LABEL = re.compile(r"^variants\[(\d+)\]\.?(.*)$")


class ImportRowError(ApplicationError):
    code = ErrorCode.VALIDATION_ERROR
    message = "A row could not be imported."


@dataclass
class ImportRow:
    row: int
    handle: str | None
    product: dict[str, Any]  # validated product fields present on this row
    variant: dict[str, Any]  # validated variant fields, options as {name: value}
    option_names: list[str | None]


@dataclass
class ProductGroup:
    handle: str | None
    rows: list[ImportRow] = field(default_factory=list)

    @property
    def first(self) -> ImportRow:
        return self.rows[0]

    @property
    def option_names(self) -> list[str]:
        return cast(list[str], self.first.option_names)  # a first row names each one


def products_validate(*, rows: list[tuple[int, Any]]) -> tuple[list[ProductGroup], list[str]]:
    """Check every row as the API would and group them; returns the products and one
    message per problem.

    A row is ``(row number, values)``; ``values`` is a dict of the columns'
    names, or a string describing why the row could not be read at all.
    Besides each field: a product's rows must agree on its fields and option
    names, a simple product has one row, and a handle of a product removed
    from the catalog is an error.
    """
    errors: list[str] = []
    groups: dict[str, ProductGroup] = {}
    ordered: list[ProductGroup] = []
    seen: set[str] = set()
    for number, values in rows:
        handle = _handle_of(values)
        first = handle is None or handle not in seen
        if handle is not None:
            seen.add(handle)
        parsed = _parse_row(number, values, errors, first=first)
        if parsed is None:
            continue
        group = groups.get(parsed.handle) if parsed.handle else None
        if group is None:
            group = ProductGroup(handle=parsed.handle)
            ordered.append(group)
            if parsed.handle:
                groups[parsed.handle] = group
        elif not _agrees(group, parsed, errors):
            continue
        group.rows.append(parsed)

    removed = set(
        Product.objects.filter(slug__in=groups, deleted_at__isnull=False).values_list(
            "slug", flat=True
        )
    )
    for handle in sorted(removed, key=lambda h: groups[h].first.row):
        errors.append(
            f"row {groups[handle].first.row}: slug: belongs to a product removed from the catalog"
        )
    return ordered, errors


def products_import(*, groups: list[ProductGroup]) -> tuple[int, int]:
    """Create or update (by handle) every product; returns (created, updated).

    Call inside ``transaction.atomic()``. Each product is written in a
    savepoint; a refusal is kept and the next product tried, so that every
    problem is reported. If any, ImportRowError carries them all (its
    ``details["rows"]``) and the caller's rollback leaves nothing half-imported.
    """
    handles = [group.handle for group in groups if group.handle]
    existing = {product.slug: product for product in Product.objects.filter(slug__in=handles)}
    created = updated = 0
    problems: list[str] = []
    for group in groups:
        product = existing.get(group.handle or "")
        try:
            with transaction.atomic():
                if product is None:
                    services.product_create(**_create_arguments(group))
                    created += 1
                else:
                    services.product_update(product=product, data=_update_data(group, product))
                    updated += 1
        except ApplicationError as exc:
            problems.extend(_row_messages(group, exc))
    if problems:
        raise ImportRowError(problems[0], details={"rows": problems})
    return created, updated


# --- rows ----------------------------------------------------------------------------


def _handle_of(values: Any) -> str | None:
    if not isinstance(values, dict):
        return None
    handle = values.get("handle") or values.get("slug")
    return handle.lower() if isinstance(handle, str) else None


def _parse_row(number: int, values: Any, errors: list[str], *, first: bool) -> ImportRow | None:
    """One row, validated; None (and its errors added) when it is not valid. The
    first row of a product must carry its name, category and option names."""
    if isinstance(values, str):
        errors.append(f"row {number}: {values}")
        return None
    if not isinstance(values, dict):
        errors.append(f"row {number}: expected an object with product fields")
        return None
    unknown = sorted(set(values) - set(COLUMNS) - {"options"})
    if unknown:
        errors.extend(f"row {number}: {name}: Unknown field." for name in unknown)
        return None
    handle = values.get("handle") or values.get("slug")
    if values.get("handle") and values.get("slug") and values["handle"] != values["slug"]:
        errors.append(f"row {number}: handle: differs from slug; give one of them")
        return None
    option_names, options, problem = _options_of(values)
    if problem:
        errors.append(f"row {number}: {problem}")
        return None

    product_values = {name: values[name] for name in PRODUCT_FIELDS if name in values}
    if handle is not None:
        product_values["slug"] = handle
    product_body = ProductWriteSerializer(data=product_values, partial=True)
    variant_body = VariantWriteSerializer(
        data={
            **{name: values[name] for name in VARIANT_FIELDS if name in values},
            "options": options,
        }
    )
    valid = product_body.is_valid()
    valid = variant_body.is_valid() and valid
    problems = {**product_body.errors, **variant_body.errors}
    if first:
        for name in ("name", "category"):
            if name not in product_values and name not in problems:
                problems[name] = ["This field is required."]
        for index, name in enumerate(option_names, start=1):
            if name is None:
                problems[f"option{index}_name"] = ["Required on a product's first row."]
    if not valid or problems:
        errors.extend(_messages(number, problems))
        return None
    product = dict(product_body.validated_data)
    slug = product.pop("slug", None)
    return ImportRow(
        row=number,
        handle=slug,
        product=product,
        variant=dict(variant_body.validated_data),
        option_names=option_names,
    )


def _options_of(values: dict[str, Any]) -> tuple[list[str | None], dict[str, str], str | None]:
    """The row's option names (in order) and values; or a message saying what is wrong."""
    if "options" in values:
        if any(values.get(column) for column in OPTION_COLUMNS):
            return [], {}, "options: give them as `options` or as optionN_ columns, not both"
        given = values["options"]
        if not isinstance(given, dict) or not all(
            isinstance(name, str) and isinstance(value, str) for name, value in given.items()
        ):
            return [], {}, 'options: expected an object of option names to values: {"Size": "M"}'
        return list(given), dict(given), None
    names: list[str | None] = []
    options: dict[str, str] = {}
    for number in (1, 2, 3):
        name = values.get(f"option{number}_name")
        value = values.get(f"option{number}_value")
        if value and not name:
            names.append(None)
        elif name:
            names.append(name)
        if value:
            options[name or f"option{number}"] = value
        elif name:
            return [], {}, f"option{number}_value: required with option{number}_name"
    return names, options, None


def _agrees(group: ProductGroup, row: ImportRow, errors: list[str]) -> bool:
    """A later row of a product: its product fields and option names match the first's.

    Fills the option names it left empty from the first row's.
    """
    first = group.first
    if not first.option_names and not row.option_names:
        errors.append(
            f"row {row.row}: slug: also used on row {first.row} (the rows of one product are "
            "its variants: give each its options)"
        )
        return False
    ok = True
    for name, value in row.product.items():
        if name in first.product and first.product[name] != value:
            errors.append(f"row {row.row}: {name}: differs from row {first.row} of this product")
            ok = False
    names = [
        given or (first.option_names[index] if index < len(first.option_names) else None)
        for index, given in enumerate(row.option_names)
    ]
    if names != first.option_names:
        errors.append(
            f"row {row.row}: options: name the options of row {first.row} "
            f"({', '.join(map(str, first.option_names)) or 'none'})"
        )
        return False
    row.variant["options"] = {
        name: row.variant["options"].get(given or f"option{index + 1}")
        for index, (name, given) in enumerate(zip(names, row.option_names, strict=True))
    }
    row.option_names = names
    return ok


# --- what the services get -------------------------------------------------------------


def _option_inputs(group: ProductGroup) -> list[services.OptionInput]:
    values: dict[str, list[str]] = {name: [] for name in group.option_names}
    for row in group.rows:
        for name, value in row.variant["options"].items():
            if value not in values[name]:
                values[name].append(value)
    return [services.OptionInput(name=name, values=tuple(values[name])) for name in values]


def _variant_inputs(group: ProductGroup) -> list[services.VariantInput]:
    return [
        services.VariantInput(
            options=row.variant["options"],
            price=row.variant.get("price"),
            stock=row.variant.get("stock"),
            sku=row.variant.get("sku"),
            weight=row.variant.get("weight"),
        )
        for row in group.rows
    ]


def _create_arguments(group: ProductGroup) -> dict[str, Any]:
    arguments = dict(group.first.product)
    if group.handle:
        arguments["slug"] = group.handle
    if group.option_names:
        arguments["options"] = _option_inputs(group)
        arguments["variants"] = _variant_inputs(group)
    else:
        variant = group.first.variant
        arguments.update({name: variant[name] for name in VARIANT_FIELDS if name in variant})
    return arguments


def _update_data(group: ProductGroup, product: Product) -> dict[str, Any]:
    data = dict(group.first.product)
    simple_now = not product.options.exists() and product.variants.in_catalog().count() == 1
    if not group.option_names and simple_now:
        variant = group.first.variant
        data.update({name: variant[name] for name in VARIANT_FIELDS if name in variant})
    else:
        data["options"] = _option_inputs(group)
        data["variants"] = _variant_inputs(group)
    return data


def _row_messages(group: ProductGroup, exc: ApplicationError) -> list[str]:
    """A service's refusal as "row N: field: message" lines (``variants[i]`` is row i)."""
    details = exc.details if isinstance(exc.details, dict) and exc.details else {}
    if not details:
        return [f"row {group.first.row}: {exc.message}"]
    lines = []
    for where, messages in details.items():
        row, name = group.first.row, where
        match = _LABEL.match(where)
        if match and int(match.group(1)) < len(group.rows):
            row, name = group.rows[int(match.group(1))].row, match.group(2) or "variant"
        for message in messages if isinstance(messages, list) else [messages]:
            lines.append(f"row {row}: {name}: {_rows_named(group, str(message))}")
    return lines


def _rows_named(group: ProductGroup, message: str) -> str:
    """``Same options as variants[1].`` -> ``Same options as row 3.``"""

    def row_of(match: re.Match) -> str:
        index = int(match.group(1))
        return f"row {group.rows[index].row}" if index < len(group.rows) else match.group(0)

    return re.sub(r"variants\[(\d+)\]", row_of, message)


def _messages(number: int, errors: dict[str, Any]) -> list[str]:
    """One line per problem, in the order of the columns."""
    messages: list[str] = []
    order = {name: index for index, name in enumerate(COLUMNS)}
    for name, problems in sorted(errors.items(), key=lambda item: order.get(item[0], 99)):
        if isinstance(problems, dict):  # a list or dict field: {index or key: [messages]}
            for index, inner in problems.items():
                messages.extend(f"row {number}: {name}[{index}]: {text}" for text in inner)
        else:
            messages.extend(f"row {number}: {name}: {text}" for text in problems)
    return messages
