"""``manage.py audit_discount_codes``: report drift in codes' uses; exit 1 when there is some."""

import json

from django.core.management.base import BaseCommand, CommandParser

from checkout.audit import discount_code_audit
from ecommerce.api.ids import PREFIXES, public_id


class Command(BaseCommand):
    help = (
        "Check every discount code's uses against the orders holding it (given back "
        "once when an order was cancelled, expired or its payment failed), its total "
        "and per-customer limits. Exits 1 when anything drifted. The sibling of audit_stock."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the report as JSON."
        )

    def handle(self, *args, as_json: bool = False, **options) -> None:
        audit = discount_code_audit()
        rows = [
            {
                "kind": drift.kind,
                "code": drift.code,
                "orderId": public_id(PREFIXES["order"], drift.order_id) if drift.order_id else None,
                "expected": drift.expected,
                "actual": drift.actual,
            }
            for drift in audit.drifts
        ]
        if as_json:
            report = {
                "codesChecked": audit.codes_checked,
                "redemptionsChecked": audit.redemptions_checked,
                "drift": rows,
            }
            self.stdout.write(json.dumps(report, indent=2))
        else:
            for row in rows:
                order = f" order {row['orderId']}" if row["orderId"] else ""
                self.stdout.write(
                    f"DRIFT {row['kind']}: code {row['code']}{order}: "
                    f"expected {row['expected']}, found {row['actual']}"
                )
            summary = (
                f"Checked {audit.codes_checked} codes and {audit.redemptions_checked} uses: "
                f"{len(rows)} drift(s)."
            )
            self.stdout.write(self.style.SUCCESS(summary) if audit.clean else summary)
        if not audit.clean:
            raise SystemExit(1)
