"""Background jobs: RQ when Redis is configured, inline without it.

Jobs are always enqueued after the surrounding transaction commits, so a worker
never sees a row that a rollback later removes, and a rolled-back request
enqueues nothing.
"""

import functools
import logging
from collections.abc import Callable
from typing import Any

import django_rq
from django.conf import settings
from django.db import transaction
from redis.exceptions import RedisError
from rq import Retry

logger = logging.getLogger(__name__)


def job_enqueue(
    func: Callable[..., Any],
    *args: Any,
    queue: str = "default",
    retry: Retry | None = None,
    **kwargs: Any,
) -> None:
    """Run ``func(*args, **kwargs)`` in the background once the transaction commits.

    Arguments must be picklable and small (ids, not model instances). ``retry``
    is RQ's retry policy for exceptions the job raises.
    If Redis cannot take the job, the failure is logged and the request goes
    on: work that must not be lost (charges) has a sweep that re-queues it.
    """
    if queue not in settings.RQ_QUEUES:
        raise ValueError(f"Unknown RQ queue {queue!r}")
    transaction.on_commit(functools.partial(_dispatch, func, args, kwargs, queue, retry))


def _dispatch(
    func: Callable[..., Any], args: tuple, kwargs: dict, queue: str, retry: Retry | None
) -> None:
    if settings.JOBS_SYNC:
        _run_inline(func, args, kwargs, retry)
        return
    try:
        django_rq.get_queue(queue).enqueue(func, *args, retry=retry, **kwargs)
    except RedisError as exc:
        logger.warning("Could not enqueue %s on %r: %s", _name(func), queue, exc)


def _run_inline(func: Callable[..., Any], args: tuple, kwargs: dict, retry: Retry | None) -> None:
    # Inline, a failing job must not turn an already committed request into a
    # 500: retry as RQ would (without waiting), then log it as a worker would.
    attempts = 1 + (retry.max if retry else 0)
    for attempt in range(1, attempts + 1):
        try:
            func(*args, **kwargs)
            return
        except Exception:
            if attempt == attempts:
                logger.exception("Inline job %s failed", _name(func))


def _name(func: Callable[..., Any]) -> str:
    return getattr(func, "__qualname__", repr(func))
