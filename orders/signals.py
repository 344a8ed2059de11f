"""What orders tell the layers above without importing them."""

from django.dispatch import Signal

# Sent with ``order`` when an order gives back what it holds (cancelled,
# expired, payment failed): inside that transaction, under the order's row
# lock, once per order. ``checkout`` gives back a discount code's use here.
order_released = Signal()
