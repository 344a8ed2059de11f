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

logger = logging.getLogger(__name__)


def job_enqueue(
    func: Callable[..., Any], *args: Any, queue: str = "default", **kwargs: Any
) -> None:
    """Run ``func(*args, **kwargs)`` in the background once the transaction commits.

    Arguments must be picklable and small (ids, not model instances).
    """
    if queue not in settings.RQ_QUEUES:
        raise ValueError(f"Unknown RQ queue {queue!r}")
    transaction.on_commit(functools.partial(_dispatch, func, args, kwargs, queue))


def _dispatch(func: Callable[..., Any], args: tuple, kwargs: dict, queue: str) -> None:
    if settings.JOBS_SYNC:
        # Inline, a failing job must not turn an already committed request into
        # a 500: log it as a worker would, and let the request answer.
        try:
            func(*args, **kwargs)
        except Exception:
            logger.exception("Inline job %s failed", getattr(func, "__name__", func))
        return
    django_rq.get_queue(queue).enqueue(func, *args, **kwargs)
