"""manage.py import_products FILE.csv|FILE.json: all rows or none."""

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from catalog.importing import COLUMNS
from ecommerce.errors import ApplicationError

_IMAGE_SEPARATOR = re.compile(r"[\s|]+")


class Command(BaseCommand):
    help = (
        "Import products from a CSV file (header row; columns: "
        f"{', '.join(COLUMNS)}; images separated by '|') or a JSON file (a list of "
        'objects with the same keys, options also as "options": {"Size": "M"}). One row '
        "per variant; rows with the same handle (or slug) are one product, whose name, "
        "category and other product fields come from its first row. name, category and "
        "price are required. A handle that exists updates that product, its variants "
        "matched by SKU, then by options (variants the file leaves out leave the "
        "catalog); rows without a handle each create a product with a generated slug. "
        "If any row is invalid, each error is reported with its row number (CSV: the "
        "line, header = 1; JSON: the position, from 1) and nothing is imported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="A .csv or .json file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and report only; write nothing."
        )

    def handle(self, *args: Any, file: Path, dry_run: bool, **options: Any) -> None:
        from catalog.importing import ImportRowError, products_import, products_validate

        rows = list(_read_rows(file))
        if not rows:
            raise CommandError(f"{file}: no products found.")
        groups, errors = products_validate(rows=rows)
        if errors:
            self._report(errors)
            raise CommandError(f"{len(errors)} error(s) in {file}: nothing was imported.")
        if dry_run:
            self.stdout.write(
                f"{len(rows)} row(s) are valid ({len(groups)} product(s)); "
                "nothing written (--dry-run)."
            )
            return
        try:
            with transaction.atomic():
                created, updated = products_import(groups=groups)
        except ImportRowError as exc:
            self._report(exc.details.get("rows", [exc.message]))
            raise CommandError(f"Import of {file} failed: nothing was imported.") from exc
        except ApplicationError as exc:
            raise CommandError(f"Import of {file} failed: {exc.message}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {created + updated} product(s): {created} created, {updated} updated."
            )
        )

    def _report(self, errors: list[str]) -> None:
        for error in errors:
            self.stderr.write(error)


def _read_rows(file: Path) -> Iterator[tuple[int, Any]]:
    if not file.is_file():
        raise CommandError(f"{file}: no such file.")
    suffix = file.suffix.lower()
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandError(f"{file}: not UTF-8 text ({exc}).") from exc
    if suffix == ".json":
        yield from _json_rows(text, file)
    elif suffix == ".csv":
        yield from _csv_rows(text, file)
    else:
        raise CommandError(f"{file}: expected a .csv or .json file.")


def _json_rows(text: str, file: Path) -> Iterator[tuple[int, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{file}: invalid JSON ({exc}).") from exc
    if not isinstance(data, list):
        raise CommandError(f"{file}: expected a JSON list of product objects.")
    yield from enumerate(data, start=1)


def _csv_rows(text: str, file: Path) -> Iterator[tuple[int, Any]]:
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = [name.strip() for name in reader.fieldnames or []]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise CommandError(
            f"{file}: unknown column(s) {', '.join(unknown)}; allowed: {', '.join(COLUMNS)}."
        )
    reader.fieldnames = header
    for record in reader:
        line = reader.line_num
        if None in record:
            yield line, "has more cells than the header has columns"
            continue
        # An empty cell is an absent value: defaults apply (slug generated, stock 0).
        row: dict[str, Any] = {
            key: value.strip() for key, value in record.items() if value and value.strip()
        }
        if "images" in row:
            row["images"] = [url for url in _IMAGE_SEPARATOR.split(row["images"]) if url]
        yield line, row
