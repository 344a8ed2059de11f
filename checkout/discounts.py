"""Discount codes: finding and checking one, counting its use, giving it back.

A use is counted in the order's transaction, under the code's row lock, taken
after the basket's products and variants (the lock order is in
``checkout.services``): concurrent orders for the last uses of a code queue on
its row, and each one sees the count the previous one left. A use is given
back, under the same lock, when the order gives back its stock (cancelled,
expired, payment failed: ``orders.signals.order_released``).
"""

from typing import TYPE_CHECKING, cast

from django.db.models import F
from django.utils import timezone

from checkout.errors import CheckoutInvalid
from checkout.models import DiscountCode, DiscountRedemption

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def _refuse(message: str) -> CheckoutInvalid:
    return CheckoutInvalid(message, details={"discountCode": [message]})


def discount_code_get(
    *, code: str, customer: "User | AnonymousUser | None" = None, lock: bool = False
) -> DiscountCode:
    """The active code ``code`` (any case), valid now and with uses left for ``customer``.

    ``lock``: take its row lock (inside the order's transaction). Without a
    customer (an anonymous quote) the per-customer limit is not checked.
    Raises CheckoutInvalid on ``discountCode``: unknown, not yet valid,
    expired, used up, or used up by this customer. What depends on the basket
    (minimum subtotal, categories) is ``checkout.pricing``'s.
    """
    codes = DiscountCode.objects.prefetch_related("categories")
    if lock:
        codes = codes.select_for_update(of=("self",))
    found = codes.filter(code__iexact=code.strip(), active=True).first()
    if found is None:
        raise _refuse(f"Unknown discount code {code.strip()!r}.")
    now = timezone.now()
    if found.starts_at is not None and now < found.starts_at:
        raise _refuse(f"Code {found.code} is not valid yet: from {_when(found.starts_at)}.")
    if found.ends_at is not None and now >= found.ends_at:
        raise _refuse(f"Code {found.code} expired on {_when(found.ends_at)}.")
    if found.max_uses is not None and found.uses >= found.max_uses:
        raise _refuse(f"Code {found.code} has been used up.")
    if (
        customer is not None
        and getattr(customer, "is_authenticated", False)
        and found.max_uses_per_customer is not None
    ):
        used = DiscountRedemption.objects.filter(
            code=found, user=cast("User", customer), released_at__isnull=True
        ).count()
        if used >= found.max_uses_per_customer:
            raise _refuse(
                f"Code {found.code} can be used {found.max_uses_per_customer} time(s) per "
                "customer, and you have used it up."
            )
    return found


def discount_use_count(*, code: DiscountCode, order, customer, amount) -> DiscountRedemption:
    """Count one use of ``code`` (locked by the caller) for ``order``."""
    DiscountCode.objects.filter(pk=code.pk).update(uses=F("uses") + 1, updated_at=timezone.now())
    return DiscountRedemption.objects.create(code=code, order=order, user=customer, amount=amount)


def discount_use_release(*, order) -> bool:
    """Give back ``order``'s use of a code, once; True when there was one.

    Runs in the transaction that releases the order (its row is locked), and
    takes the code's row lock last, as the lock order says.
    """
    redemption = (
        DiscountRedemption.objects.filter(order=order, released_at__isnull=True)
        .only("pk", "code_id")
        .first()
    )
    if redemption is None:
        return False
    list(
        DiscountCode.objects.select_for_update(of=("self",))
        .filter(pk=redemption.code_id)
        .values_list("pk", flat=True)
    )
    DiscountCode.objects.filter(pk=redemption.code_id).update(
        uses=F("uses") - 1, updated_at=timezone.now()
    )
    DiscountRedemption.objects.filter(pk=redemption.pk).update(released_at=timezone.now())
    return True


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
