"""Stock audit: the ledger, the products and the orders must tell one story.

Checks, for every product: its stock equals the sum of its ledger movements
and is not negative. For every order: it took exactly its lines' quantities
when created, and gave them back exactly once if (and only if) its status is
one that returns stock.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Sum

from catalog.models import Product, StockMovement
from orders.models import Order, OrderItem
from orders.state import STOCK_RETURNED


@dataclass
class StockDrift:
    kind: str  # ledger | negative | order_reserve | order_release
    product_id: uuid.UUID
    expected: int
    actual: int
    order_id: uuid.UUID | None = None


@dataclass
class StockAudit:
    products_checked: int = 0
    orders_checked: int = 0
    drifts: list[StockDrift] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.drifts


def stock_audit() -> StockAudit:
    audit = StockAudit()
    ledger = dict(
        StockMovement.objects.values("product_id")
        .annotate(total=Sum("delta"))
        .values_list("product_id", "total")
    )
    for product_id, stock in Product.objects.values_list("pk", "stock").iterator():
        audit.products_checked += 1
        if stock < 0:
            audit.drifts.append(StockDrift("negative", product_id, 0, stock))
        if ledger.get(product_id, 0) != stock:
            audit.drifts.append(StockDrift("ledger", product_id, ledger.get(product_id, 0), stock))

    moved: dict[tuple, int] = defaultdict(int)
    for order_id, product_id, reason, total in (
        StockMovement.objects.filter(order_id__isnull=False)
        .values("order_id", "product_id", "reason")
        .annotate(total=Sum("delta"))
        .values_list("order_id", "product_id", "reason", "total")
    ):
        moved[(order_id, product_id, reason)] = total

    statuses = dict(Order.objects.values_list("pk", "status"))
    audit.orders_checked = len(statuses)
    for order_id, product_id, quantity in OrderItem.objects.values_list(
        "order_id", "product_id", "quantity"
    ).iterator():
        taken = -moved.pop((order_id, product_id, StockMovement.Reason.ORDER_RESERVE), 0)
        if taken != quantity:
            audit.drifts.append(
                StockDrift("order_reserve", product_id, quantity, taken, order_id=order_id)
            )
        returned = moved.pop((order_id, product_id, StockMovement.Reason.ORDER_RELEASE), 0)
        should_return = quantity if statuses[order_id] in STOCK_RETURNED else 0
        if returned != should_return:
            audit.drifts.append(
                StockDrift("order_release", product_id, should_return, returned, order_id=order_id)
            )
    # Order movements with no order line behind them (e.g. an order that
    # rolled back while its movements stayed: impossible in one transaction).
    for (order_id, product_id, reason), total in moved.items():
        audit.drifts.append(StockDrift(reason, product_id, 0, abs(total), order_id=order_id))
    return audit
