"""What checkout does when the orders below it say something (``orders.signals``)."""

from django.dispatch import receiver

from checkout.discounts import discount_use_release
from orders.models import Order
from orders.signals import order_released


@receiver(order_released, sender=Order, dispatch_uid="checkout.discount_use_release")
def give_back_discount_use(sender, *, order: Order, **kwargs) -> None:
    discount_use_release(order=order)
