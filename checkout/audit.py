"""Discount code audit: codes, their uses and the orders must tell one story.

For every code: ``uses`` equals its redemptions not given back, never above
``max_uses``, and no customer holds more than ``max_uses_per_customer``. For
every redemption: it is given back if (and only if) its order's status is one
that gives back what it holds (cancelled, payment failed). For every order with
a code in its breakdown: it has a redemption of that code.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q

from checkout.models import DiscountCode, DiscountRedemption
from orders.models import Order
from orders.state import STOCK_RETURNED


@dataclass
class CodeDrift:
    kind: str  # uses | over_limit | per_customer | redemption | order_without_redemption
    code: str
    expected: int | str
    actual: int | str
    order_id: uuid.UUID | None = None


@dataclass
class CodeAudit:
    codes_checked: int = 0
    redemptions_checked: int = 0
    drifts: list[CodeDrift] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.drifts


def discount_code_audit() -> CodeAudit:
    audit = CodeAudit()
    codes = DiscountCode.objects.annotate(
        live=Count("redemptions", filter=Q(redemptions__released_at__isnull=True))
    )
    for code in codes:
        audit.codes_checked += 1
        if code.uses != code.live:
            audit.drifts.append(CodeDrift("uses", code.code, code.live, code.uses))
        if code.max_uses is not None and code.uses > code.max_uses:
            audit.drifts.append(CodeDrift("over_limit", code.code, code.max_uses, code.uses))
    per_customer = Counter(
        DiscountRedemption.objects.filter(released_at__isnull=True).values_list(
            "code_id", "user_id"
        )
    )
    limits = dict(DiscountCode.objects.values_list("pk", "max_uses_per_customer"))
    names = dict(DiscountCode.objects.values_list("pk", "code"))
    for (code_id, _user_id), used in per_customer.items():
        limit = limits.get(code_id)
        if limit is not None and used > limit:
            audit.drifts.append(CodeDrift("per_customer", names[code_id], limit, used))
    for redemption in DiscountRedemption.objects.select_related("order", "code"):
        audit.redemptions_checked += 1
        returned = redemption.order.status in STOCK_RETURNED
        released = redemption.released_at is not None
        if returned != released:
            audit.drifts.append(
                CodeDrift(
                    "redemption",
                    redemption.code.code,
                    "given back" if returned else "held",
                    "given back" if released else "held",
                    order_id=redemption.order_id,
                )
            )
        if (redemption.order.discount or {}).get(
            "code", ""
        ).upper() != redemption.code.code.upper():
            audit.drifts.append(
                CodeDrift(
                    "redemption",
                    redemption.code.code,
                    redemption.code.code,
                    (redemption.order.discount or {}).get("code", ""),
                    order_id=redemption.order_id,
                )
            )
    for order_id, discount in (
        Order.objects.filter(discount__isnull=False, redemption__isnull=True)
        .values_list("id", "discount")
        .iterator()
    ):
        code = (discount or {}).get("code")
        if code:
            audit.drifts.append(
                CodeDrift("order_without_redemption", code, 1, 0, order_id=order_id)
            )
    return audit
