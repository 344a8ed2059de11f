"""Stock audit: the ledger, the variants, the products and the orders must tell one story.

Checks, for every variant: its stock equals the sum of its ledger movements
and is not negative. For every product: its denormalised ``stock`` is the sum
of its variants' in the catalog (``catalog.stock.product_totals_refresh``).
For every order line: it took exactly its quantity of its variant when the
order was created, and gave it back exactly once if (and only if) the order's
status is one that returns stock.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, Sum

from catalog.models import Product, ProductVariant, StockMovement
from orders.models import Order, OrderItem
from orders.state import STOCK_RETURNED


@dataclass
class StockDrift:
    kind: str  # ledger | negative | product_total | order_reserve | order_release
    product_id: uuid.UUID
    expected: int
    actual: int
    order_id: uuid.UUID | None = None
    variant_id: uuid.UUID | None = None


@dataclass
class StockAudit:
    products_checked: int = 0
    variants_checked: int = 0
    orders_checked: int = 0
    drifts: list[StockDrift] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.drifts


def stock_audit() -> StockAudit:
    audit = StockAudit()
    ledger = dict(
        StockMovement.objects.values("variant_id")
        .annotate(total=Sum("delta"))
        .values_list("variant_id", "total")
    )
    for variant_id, product_id, stock in ProductVariant.objects.values_list(
        "pk", "product_id", "stock"
    ).iterator():
        audit.variants_checked += 1
        if stock < 0:
            audit.drifts.append(StockDrift("negative", product_id, 0, stock, variant_id=variant_id))
        if ledger.get(variant_id, 0) != stock:
            audit.drifts.append(
                StockDrift(
                    "ledger", product_id, ledger.get(variant_id, 0), stock, variant_id=variant_id
                )
            )

    for product_id, stock, total in (
        Product.objects.annotate(
            total=Sum("variants__stock", filter=Q(variants__deleted_at__isnull=True))
        )
        .values_list("pk", "stock", "total")
        .iterator()
    ):
        audit.products_checked += 1
        if (total or 0) != stock:
            audit.drifts.append(StockDrift("product_total", product_id, total or 0, stock))

    moved: dict[tuple, int] = defaultdict(int)
    for order_id, variant_id, reason, total in (
        StockMovement.objects.filter(order_id__isnull=False)
        .values("order_id", "variant_id", "reason")
        .annotate(total=Sum("delta"))
        .values_list("order_id", "variant_id", "reason", "total")
    ):
        moved[(order_id, variant_id, reason)] = total

    statuses = dict(Order.objects.values_list("pk", "status"))
    audit.orders_checked = len(statuses)
    for order_id, product_id, variant_id, quantity in OrderItem.objects.values_list(
        "order_id", "product_id", "variant_id", "quantity"
    ).iterator():
        taken = -moved.pop((order_id, variant_id, StockMovement.Reason.ORDER_RESERVE), 0)
        if taken != quantity:
            audit.drifts.append(
                StockDrift(
                    "order_reserve",
                    product_id,
                    quantity,
                    taken,
                    order_id=order_id,
                    variant_id=variant_id,
                )
            )
        returned = moved.pop((order_id, variant_id, StockMovement.Reason.ORDER_RELEASE), 0)
        should_return = quantity if statuses[order_id] in STOCK_RETURNED else 0
        if returned != should_return:
            audit.drifts.append(
                StockDrift(
                    "order_release",
                    product_id,
                    should_return,
                    returned,
                    order_id=order_id,
                    variant_id=variant_id,
                )
            )
    # Order movements with no order line behind them (e.g. an order that
    # rolled back while its movements stayed: impossible in one transaction).
    owners = dict(
        ProductVariant.objects.filter(pk__in={key[1] for key in moved}).values_list(
            "pk", "product_id"
        )
    )
    for (order_id, variant_id, reason), total in moved.items():
        audit.drifts.append(
            StockDrift(
                reason,
                owners.get(variant_id),  # type: ignore[arg-type]
                0,
                abs(total),
                order_id=order_id,
                variant_id=variant_id,
            )
        )
    return audit
