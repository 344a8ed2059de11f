"""``manage.py audit_stock``: report any stock drift; exit 1 when there is some."""

import json

from django.core.management.base import BaseCommand, CommandParser

from ecommerce.api.ids import PREFIXES, public_id
from orders.audit import stock_audit


class Command(BaseCommand):
    help = (
        "Check every variant's stock against its ledger, every product's stock against "
        "its variants, and the order history (reserved once per order line, returned "
        "once when the order was cancelled or its payment failed). Exits 1 when "
        "anything drifted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the report as JSON."
        )

    def handle(self, *args, as_json: bool = False, **options) -> None:
        audit = stock_audit()
        rows = [
            {
                "kind": drift.kind,
                "productId": public_id(PREFIXES["product"], drift.product_id),
                "variantId": (
                    public_id(PREFIXES["variant"], drift.variant_id) if drift.variant_id else None
                ),
                "orderId": public_id(PREFIXES["order"], drift.order_id) if drift.order_id else None,
                "expected": drift.expected,
                "actual": drift.actual,
            }
            for drift in audit.drifts
        ]
        if as_json:
            report = {
                "productsChecked": audit.products_checked,
                "variantsChecked": audit.variants_checked,
                "ordersChecked": audit.orders_checked,
                "drift": rows,
            }
            self.stdout.write(json.dumps(report, indent=2))
        else:
            for row in rows:
                order = f" order {row['orderId']}" if row["orderId"] else ""
                variant = f" variant {row['variantId']}" if row["variantId"] else ""
                self.stdout.write(
                    f"DRIFT {row['kind']}: product {row['productId']}{variant}{order}: "
                    f"expected {row['expected']}, found {row['actual']}"
                )
            summary = (
                f"Checked {audit.products_checked} products, {audit.variants_checked} variants "
                f"and {audit.orders_checked} orders: "
                f"{len(rows)} drift(s)."
            )
            self.stdout.write(self.style.SUCCESS(summary) if audit.clean else summary)
        if not audit.clean:
            raise SystemExit(1)
