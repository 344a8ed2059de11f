"""Background jobs of product media, on the ``media`` queue (thin: they call services).

A queue of their own: a burst of uploads delays other uploads' renditions,
never a payment or an e-mail.
"""

import uuid

from django.conf import settings
from rq import Retry

QUEUE = "media"


def media_renditions_make(*, media_id: str) -> str:
    """Make one media's renditions; a failure raises and RQ retries (see the service)."""
    from catalog.media.services import media_renditions_make as make

    return make(media_id=uuid.UUID(media_id))


def media_sweep() -> dict[str, int]:
    """Re-queue media whose job was lost, remove orphaned files (periodic, see rqcron)."""
    from catalog.media.services import media_sweep as sweep

    return sweep()


def media_renditions_retry() -> Retry:
    return Retry(
        max=max(settings.MEDIA_RENDITION_ATTEMPTS - 1, 0), interval=settings.MEDIA_RETRY_INTERVALS
    )
