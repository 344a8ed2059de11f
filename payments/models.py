import uuid

from django.conf import settings
from django.db import models

from ecommerce.api.ids import PREFIXES, public_id
from orders.models import MONEY, Order
from payments.state import PaymentStatus


class Payment(models.Model):
    """The charge for one order. Amounts only ever grow: captured, then refunded."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="payment")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PROCESSING
    )
    provider = models.CharField(max_length=32)
    provider_reference = models.CharField(max_length=255, blank=True, default="")
    # Which outcome the simulated gateway gives; a real provider's card token.
    payment_token = models.CharField(max_length=255, blank=True, default="")
    captured_amount = models.DecimalField(**MONEY, default=0)
    refunded_amount = models.DecimalField(**MONEY, default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    failure_code = models.CharField(max_length=64, blank=True, default="")
    failure_message = models.CharField(max_length=255, blank=True, default="")
    # While requires_action: what the shop's frontend does next, and the
    # provider's client secret for it. Shown only to the order's owner, never
    # in the admin; cleared once the payment leaves requires_action. New
    # columns carry a database default: pods of the previous release insert
    # payments without them during a rollout.
    next_action_type = models.CharField(max_length=32, blank=True, default="", db_default="")
    next_action_client_secret = models.CharField(
        max_length=255, blank=True, default="", db_default=""
    )
    captured_at = models.DateTimeField(null=True, blank=True)
    dispute_reference = models.CharField(max_length=255, blank=True, default="", db_default="")
    dispute_reason = models.CharField(max_length=64, blank=True, default="", db_default="")
    disputed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "payments"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="payment_amount_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(captured_amount__lte=models.F("amount")),
                name="payment_capture_within_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__lte=models.F("captured_amount")),
                name="payment_refund_within_capture",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0), name="payment_refund_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PaymentStatus.values), name="payment_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="payment_status_updated_idx"),
            # Stripe's webhooks name the PaymentIntent.
            models.Index(
                fields=["provider_reference"],
                name="payment_provider_reference_idx",
                condition=~models.Q(provider_reference=""),
            ),
        ]

    def __str__(self) -> str:
        return public_id(PREFIXES["payment"], self.id)

    @property
    def refundable_amount(self):
        return self.captured_amount - self.refunded_amount


class Refund(models.Model):
    """Money sent back. ``pending`` refunds reserve their amount while the
    gateway is called, so concurrent refunds can never exceed the capture."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=255, blank=True, default="")
    provider_reference = models.CharField(max_length=255, blank=True, default="")
    failure_message = models.CharField(max_length=255, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "refunds"
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount} ({self.status})"


class WebhookEvent(models.Model):
    """Every provider event seen, by its id: a replayed event is a no-op."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=64)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "payment_webhook_events"

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class SimulatedCharge(models.Model):
    """The simulated provider's own ledger (what Stripe would keep on its side).

    Keyed by the idempotency key we send, so a retried charge returns the first
    result instead of capturing twice, across processes and pods.
    """

    idempotency_key = models.CharField(max_length=255, unique=True)
    reference = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=16)  # charge | refund
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    outcome = models.CharField(max_length=32)  # succeeded | declined
    attempts = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "payment_simulator_ledger"

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} {self.outcome}"
