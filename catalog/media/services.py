"""Every write to product media: API, admin, demo data and the background jobs.

Locks: the product row, then its media rows (the order ``catalog.services``
uses when it removes products), so an upload never attaches to a product that
a concurrent removal has taken out of the catalog. Every write invalidates the
product's cached responses (``catalog.cache``): a product read shows its media.

Files: an upload is checked and re-encoded (``catalog.media.images``) and its
original stored before the row is written; renditions are made by an RQ job
after the commit. Deleting a row deletes its files once the deletion commits
(``catalog.media.models``). Anything left behind by a crash is an orphan that
``media_sweep`` removes, never a file that a row names.
"""

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from catalog.cache import product_cache_invalidate
from catalog.media import storage, tasks
from catalog.media.errors import ProductNotInCatalog
from catalog.media.images import EncodedImage, image_original_prepare, image_renditions_make
from catalog.media.models import POSITION_MAX, ProductMedia
from catalog.models import Product
from ecommerce.jobs.enqueue import job_enqueue

logger = logging.getLogger(__name__)


def media_create(
    *,
    product: Product,
    data: bytes | None = None,
    prepared: EncodedImage | None = None,
    alt: str = "",
    position: int | None = None,
) -> ProductMedia:
    """Add an uploaded image to a product in the catalog; renditions follow in the background.

    ``data`` is the file's bytes; its type is taken from them (or ``prepared``:
    what ``image_original_prepare`` made of them, when a form checked them
    already). Raises ImageTypeUnsupported (415), ImageInvalid (400) before
    anything is stored, and ProductNotInCatalog (404) when the product is not
    (or no longer) in the catalog. Without ``position`` the image goes last.
    Locks the product row while the media row is inserted.
    """
    if prepared is None:
        if data is None:
            raise ValueError("media_create needs data or prepared")
        prepared = image_original_prepare(data)
    media_id = uuid.uuid4()
    stored = storage.media_file_save(
        media_hex=media_id.hex, data=prepared.data, image_format=prepared.format
    )
    try:
        with transaction.atomic():
            locked = (
                Product.objects.select_for_update(of=("self",))
                .in_catalog()
                .filter(pk=product.pk)
                .only("pk")
                .first()
            )
            if locked is None:
                raise ProductNotInCatalog()
            if position is None:
                last = ProductMedia.objects.filter(product_id=product.pk).aggregate(
                    last=Max("position")
                )["last"]
                position = 0 if last is None else min(last + 1, POSITION_MAX)
            media = ProductMedia.objects.create(
                id=media_id,
                product_id=product.pk,
                alt=alt,
                position=position,
                file=stored.name,
                format=prepared.format,
                width=prepared.width,
                height=prepared.height,
                size=stored.size,
            )
            product_cache_invalidate(product_ids=[product.pk])
            job_enqueue(
                tasks.media_renditions_make,
                media_id=str(media_id),
                queue=tasks.QUEUE,
                retry=tasks.media_renditions_retry(),
            )
    except BaseException:
        # No row names the file: it goes now (the sweep would find it later).
        storage.media_files_delete(names=[stored.name])
        raise
    return media


def media_update(
    *, media: ProductMedia, alt: str | None = None, position: int | None = None
) -> ProductMedia:
    """Change a media's alt text and/or position."""
    fields = []
    if alt is not None:
        media.alt = alt
        fields.append("alt")
    if position is not None:
        media.position = position
        fields.append("position")
    if not fields:
        return media
    with transaction.atomic():
        media.save(update_fields=[*fields, "updated_at"])
        product_cache_invalidate(product_ids=[media.product_id])
    return media


def media_delete(*, media: ProductMedia) -> None:
    """Delete one media; its files are deleted once the transaction commits."""
    with transaction.atomic():
        ProductMedia.objects.filter(pk=media.pk).delete()
        product_cache_invalidate(product_ids=[media.product_id])


def product_media_delete(*, product_ids: Iterable[uuid.UUID]) -> int:
    """Delete every media of these products (they leave the catalog); files go after commit."""
    ids = list(product_ids)
    with transaction.atomic():
        deleted, _ = ProductMedia.objects.filter(product_id__in=ids).delete()
    return deleted


def media_renditions_make(*, media_id: uuid.UUID) -> str:
    """Make the renditions of a processing media and mark it ready.

    Idempotent: a media that is not processing (ready, failed, deleted) is
    left alone, and the same original gives the same content-addressed names.
    A failure raises, so that RQ retries, until the ``MEDIA_RENDITION_ATTEMPTS``-th
    attempt, which marks the media failed with a reason instead.
    Returns what happened: ``ready``, ``failed``, or ``skipped``.
    """
    with transaction.atomic():
        media = ProductMedia.objects.select_for_update().filter(pk=media_id).first()
        if media is None or media.status != ProductMedia.Status.PROCESSING:
            return "skipped"
        # Counted before the work: an attempt that kills the worker counts too.
        ProductMedia.objects.filter(pk=media_id).update(attempts=F("attempts") + 1)
        attempt = media.attempts + 1
    written: list[dict[str, Any]] = []
    # What clients are told when this attempt is the last (the media object is
    # public): which step failed, never a path, host or exception text.
    reason = "The original could not be read from storage."
    try:
        original = storage.media_file_read(media.file)
        reason = "The stored original could not be decoded."
        renditions = image_renditions_make(original)
        reason = "The storage backend did not accept the renditions."
        for rendition in renditions:
            stored = storage.media_file_save(
                media_hex=media_id.hex,
                data=rendition.data,
                image_format=rendition.format,
                width=rendition.width,
            )
            written.append(
                {
                    "width": rendition.width,
                    "height": rendition.height,
                    "format": rendition.format,
                    "file": stored.name,
                }
            )
    except Exception as exc:
        if isinstance(exc, FileNotFoundError):
            reason = "The original file is missing from storage."
        if attempt < settings.MEDIA_RENDITION_ATTEMPTS:
            logger.warning(
                "Renditions of media %s failed (attempt %d): %s", media_id, attempt, reason
            )
            raise
        logger.exception("Renditions of media %s failed for good: %s", media_id, reason)
        _media_fail(media, reason)
        return "failed"
    with transaction.atomic():
        updated = ProductMedia.objects.filter(
            pk=media_id, status=ProductMedia.Status.PROCESSING
        ).update(
            status=ProductMedia.Status.READY,
            renditions=written,
            error="",
            updated_at=timezone.now(),
        )
        if updated:
            product_cache_invalidate(product_ids=[media.product_id])
    if not updated and not ProductMedia.objects.filter(pk=media_id).exists():
        # Deleted while it was rendering: nothing names these files.
        storage.media_files_delete(names=[rendition["file"] for rendition in written])
        return "skipped"
    return "ready" if updated else "skipped"


def media_sweep() -> dict[str, int]:
    """The periodic clean-up: re-queue lost jobs, remove orphaned files.

    - A media still ``processing`` ``MEDIA_SWEEP_AFTER`` seconds after its last
      change lost its job (Redis was down when the upload committed, or the
      worker died): its job is queued again.
    - A file under ``products/`` that no row names and that is older than
      ``MEDIA_ORPHAN_GRACE`` is deleted (left by a crash, a rollback, a
      failed delete). The files are listed before the rows are read, and a
      younger file may belong to an upload whose row has not committed yet,
      so a file a row names is never deleted.
    """
    now = timezone.now()
    stuck = list(
        ProductMedia.objects.filter(
            status=ProductMedia.Status.PROCESSING,
            updated_at__lt=now - dt.timedelta(seconds=settings.MEDIA_SWEEP_AFTER),
        ).values_list("pk", flat=True)[:500]
    )
    for media_id in stuck:
        with transaction.atomic():
            ProductMedia.objects.filter(pk=media_id).update(updated_at=now)
            job_enqueue(
                tasks.media_renditions_make,
                media_id=str(media_id),
                queue=tasks.QUEUE,
                retry=tasks.media_renditions_retry(),
            )

    listed = list(storage.media_files_listed())
    referenced = media_files_referenced()
    cutoff = now - dt.timedelta(seconds=settings.MEDIA_ORPHAN_GRACE)
    orphans = []
    for name in listed:
        if name in referenced:
            continue
        try:
            modified = default_storage.get_modified_time(name)
        except (FileNotFoundError, NotImplementedError):
            continue
        if modified < cutoff:
            orphans.append(name)
    removed = storage.media_files_delete(names=orphans)
    if stuck or removed:
        logger.info(
            "Media sweep: %d job(s) re-queued, %d orphaned file(s) removed", len(stuck), removed
        )
    return {"requeued": len(stuck), "orphans_removed": removed}


def media_files_referenced() -> set[str]:
    """Every storage name some media row names."""
    names: set[str] = set()
    for file, renditions in ProductMedia.objects.values_list("file", "renditions").iterator():
        names.add(file)
        names.update(rendition["file"] for rendition in renditions)
    return names


def _media_fail(media: ProductMedia, reason: str) -> None:
    with transaction.atomic():
        updated = ProductMedia.objects.filter(
            pk=media.pk, status=ProductMedia.Status.PROCESSING
        ).update(status=ProductMedia.Status.FAILED, error=reason, updated_at=timezone.now())
        if updated:
            product_cache_invalidate(product_ids=[media.product_id])
