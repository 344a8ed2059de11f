"""``Idempotency-Key`` for order creation.

``idempotent_create`` is the whole protocol around one creation: the view
hands it the creation as a callable. The (user, key) unique constraint
decides which of several concurrent requests runs: exactly one inserts the
record; the others find it and answer 422 (different body), 409 (still
running) or replay the stored response.
"""

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import status as http_status
from rest_framework.response import Response

from ecommerce.api.envelope import JSON_CONTENT_TYPE, error_body, render_json, success_body
from ecommerce.errors import ApplicationError
from orders import selectors
from orders.errors import IdempotencyKeyInvalid, IdempotencyKeyReused, IdempotencyRequestInProgress
from orders.models import IdempotencyRecord, Order

logger = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"
# 1 to 255 visible ASCII characters, spaces allowed inside (HTTP strips them
# at the ends). Plain ASCII: what a header carries intact through any proxy.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$"
_IDEMPOTENCY_KEY_RE = re.compile(IDEMPOTENCY_KEY_PATTERN)


def idempotent_create(
    *,
    user,
    key: str | None,
    body: Any,
    create: Callable[[IdempotencyRecord | None], Order],
    output: Callable[[Order], Any],
) -> Response | HttpResponse:
    """Create once per (user, ``key``): ``create(record)`` makes the order (binding
    it to the record in its own transaction), ``output(order)`` is its body.

    Without a key the creation simply runs. With one, the same key and ``body``
    replay the first answer (a definite refusal too, e.g. insufficient stock)
    with ``Idempotent-Replayed: true``; an unexpected failure forgets the key
    so a retry runs again. Raises IdempotencyKeyInvalid (400),
    IdempotencyKeyReused (422) and IdempotencyRequestInProgress (409).
    """
    if key is None:
        return Response(output(create(None)), status=http_status.HTTP_201_CREATED)

    if not _IDEMPOTENCY_KEY_RE.fullmatch(key):
        raise IdempotencyKeyInvalid(
            details={IDEMPOTENCY_HEADER: ["Must be 1 to 255 visible ASCII characters."]}
        )
    record, should_run = idempotency_claim(
        user=user, key=key, fingerprint=request_fingerprint(body)
    )
    if not should_run:
        return _replay(record, output)
    try:
        order = create(record)
    except ApplicationError as exc:
        # A definite answer (e.g. insufficient stock): replayed like a success.
        idempotency_complete(
            record=record,
            status=exc.status,
            body=render_json(error_body(exc.code, exc.message, exc.details)),
        )
        raise
    except Exception:
        idempotency_release(record=record)
        raise
    data = output(order)
    idempotency_complete(
        record=record, status=http_status.HTTP_201_CREATED, body=render_json(success_body(data))
    )
    return Response(data, status=http_status.HTTP_201_CREATED)


def _replay(record: IdempotencyRecord, output: Callable[[Order], Any]) -> HttpResponse:
    if record.response_body is not None:
        response = HttpResponse(
            bytes(record.response_body),
            status=record.response_status,
            content_type=JSON_CONTENT_TYPE,
        )
    else:
        # A completed record without a stored body names its order (set with the body).
        order = selectors.order_list(viewer=record.user).get(pk=record.order_id)  # type: ignore[misc]
        body = render_json(success_body(output(order)))
        response = HttpResponse(
            body, status=http_status.HTTP_201_CREATED, content_type=JSON_CONTENT_TYPE
        )
    response["Idempotent-Replayed"] = "true"
    return response


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
