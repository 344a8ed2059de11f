"""``Idempotency-Key`` for order creation.

The (user, key) unique constraint decides which of several concurrent
requests runs: exactly one inserts the record; the others find it and answer
422 (different body), 409 (still running) or replay the stored response.
"""

import hashlib
import logging
from datetime import timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from orders.errors import IdempotencyKeyReused, IdempotencyRequestInProgress
from orders.models import IdempotencyRecord

logger = logging.getLogger(__name__)


def request_fingerprint(body: Any) -> str:
    """The same JSON body in any key order gives the same fingerprint."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def idempotency_claim(*, user, key: str, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    """Return ``(record, True)`` when this request should run, ``(record, False)``
    when it should replay the record's stored response.

    Raises IdempotencyKeyReused (422) and IdempotencyRequestInProgress (409).
    An expired record, or an in-progress one whose process died (older than
    IDEMPOTENCY_LOCK_TIMEOUT) before creating an order, is taken over; one
    already bound to an order replays that order.
    """
    now = timezone.now()
    expires_at = now + timedelta(seconds=settings.IDEMPOTENCY_TTL)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=user, key=key, request_hash=fingerprint, locked_at=now, expires_at=expires_at
            )
        return record, True
    except IntegrityError:
        pass

    with transaction.atomic():
        record = IdempotencyRecord.objects.select_for_update().get(user=user, key=key)
        if record.expires_at <= now:
            _restart(record, fingerprint, now, expires_at)
            return record, True
        if record.request_hash != fingerprint:
            raise IdempotencyKeyReused()
        if record.state == IdempotencyRecord.State.COMPLETED:
            return record, False
        if record.order_id is not None:
            # The key is bound in the order's own transaction, so the order has
            # committed; only storing the answer was left, and that request's
            # connection or process died (or it is storing it right now).
            # Replay the order itself rather than refuse until the lock expires.
            return record, False
        abandoned = record.locked_at < now - timedelta(seconds=settings.IDEMPOTENCY_LOCK_TIMEOUT)
        if abandoned:
            record.locked_at = now
            record.save(update_fields=["locked_at"])
            return record, True
        raise IdempotencyRequestInProgress()


def idempotency_complete(*, record: IdempotencyRecord, status: int, body: bytes) -> None:
    """Store the answer that retries with this key replay.

    Best effort: the answer is already decided (an order may have committed),
    and a database that fails now must not turn it into an error. A retry
    then replays the order bound to the key, or runs again once the lock
    expires when none was bound.
    """
    try:
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            state=IdempotencyRecord.State.COMPLETED, response_status=status, response_body=body
        )
    except DatabaseError:
        logger.warning(
            "Could not store the answer of idempotency record %s", record.pk, exc_info=True
        )


def idempotency_release(*, record: IdempotencyRecord) -> None:
    """Forget a key whose request failed unexpectedly, so a retry can run."""
    IdempotencyRecord.objects.filter(pk=record.pk, order__isnull=True).delete()


def idempotency_records_purge() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def _restart(record: IdempotencyRecord, fingerprint: str, now, expires_at) -> None:
    record.request_hash = fingerprint
    record.state = IdempotencyRecord.State.IN_PROGRESS
    record.response_status = None
    record.response_body = None
    record.order = None
    record.locked_at = now
    record.expires_at = expires_at
    record.save()
