"""The renditions job (RQ, queue media): ready, failed after retries, inline, and the sweep."""

import datetime as dt
import os
import time
import uuid
from pathlib import Path

import django_rq
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from catalog.media import services
from catalog.media.models import ProductMedia
from catalog.media.storage import media_file_name
from catalog.media.tests.support import jpeg_bytes

pytestmark = pytest.mark.django_db


def _media_id(response) -> uuid.UUID:
    return uuid.UUID(response.json()["data"]["id"].removeprefix("img_"))


def test_the_job_goes_on_the_media_queue(upload, product):
    upload(product, jpeg_bytes())
    assert django_rq.get_queue("media").count == 1
    for name in ("default", "payments", "emails"):
        assert django_rq.get_queue(name).count == 0


def test_job_fails_with_a_reason_after_its_retries(upload, run_jobs, product, settings, api_client):
    settings.MEDIA_RETRY_INTERVALS = [0]  # retries at once, in the same burst
    media_id = _media_id(upload(product, jpeg_bytes()))
    default_storage.delete(ProductMedia.objects.get(pk=media_id).file)  # the original is lost
    run_jobs()
    media = ProductMedia.objects.get(pk=media_id)
    assert media.status == "failed"
    assert media.attempts == settings.MEDIA_RENDITION_ATTEMPTS == 3
    assert media.error == "The original file is missing from storage."
    shown = api_client.get(f"/v1/products/{product.slug}").json()["data"]["media"][0]
    assert shown["status"] == "failed"
    assert shown["error"] == "The original file is missing from storage."
    assert shown["renditions"] == []


def test_a_failed_attempt_before_the_last_raises_for_rq_to_retry(upload, product):
    media_id = _media_id(upload(product, jpeg_bytes()))
    default_storage.delete(ProductMedia.objects.get(pk=media_id).file)
    with pytest.raises(FileNotFoundError):
        services.media_renditions_make(media_id=media_id)
    media = ProductMedia.objects.get(pk=media_id)
    assert (media.status, media.attempts) == ("processing", 1)


def test_job_is_idempotent(upload, product, media_files):
    media_id = _media_id(upload(product, jpeg_bytes((1000, 700))))
    assert services.media_renditions_make(media_id=media_id) == "ready"
    files = media_files()
    renditions = ProductMedia.objects.get(pk=media_id).renditions
    assert services.media_renditions_make(media_id=media_id) == "skipped"
    assert media_files() == files
    assert ProductMedia.objects.get(pk=media_id).renditions == renditions


def test_a_deleted_media_is_skipped(upload, product):
    media_id = _media_id(upload(product, jpeg_bytes()))
    ProductMedia.objects.filter(pk=media_id).delete()
    assert services.media_renditions_make(media_id=media_id) == "skipped"


def test_without_redis_renditions_are_made_inline_after_commit(upload, product, settings):
    settings.JOBS_SYNC = True
    response = upload(product, jpeg_bytes((900, 600)))
    assert response.json()["data"]["status"] == "processing"  # as the contract says
    media = ProductMedia.objects.get(pk=_media_id(response))
    assert media.status == "ready"
    assert max(r["width"] for r in media.renditions) == 900


def test_sweep_is_scheduled_with_the_periodic_jobs(settings):
    assert ("catalog.media.tasks.media_sweep", "media") in {
        (path, queue) for path, queue, _ in settings.PERIODIC_JOBS
    }


def test_sweep_requeues_a_media_whose_job_was_lost(
    upload, run_jobs, product, settings, django_capture_on_commit_callbacks
):
    media_id = _media_id(upload(product, jpeg_bytes()))
    django_rq.get_queue("media").empty()  # the job is lost (Redis was down at commit)
    assert services.media_sweep()["requeued"] == 0  # too recent to call lost
    ProductMedia.objects.filter(pk=media_id).update(
        updated_at=timezone.now() - dt.timedelta(seconds=settings.MEDIA_SWEEP_AFTER + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.media_sweep()["requeued"] == 1
    assert run_jobs() == 1
    assert ProductMedia.objects.get(pk=media_id).status == "ready"


def _age(name: str, seconds: int) -> None:
    old = time.time() - seconds
    os.utime(default_storage.path(name), (old, old))


def test_sweep_removes_old_orphans_and_never_a_referenced_file(
    ready_media, product, settings, media_files
):
    media = ready_media(product, jpeg_bytes())
    orphan_old = media_file_name(
        media_hex=uuid.uuid4().hex, data=b"old", image_format="jpeg", width=None
    )
    orphan_young = media_file_name(
        media_hex=uuid.uuid4().hex, data=b"young", image_format="png", width=160
    )
    leftover = media_file_name(  # an earlier attempt's rendition of a live media
        media_hex=media.pk.hex, data=b"left", image_format="webp", width=480
    )
    for name in (orphan_old, orphan_young, leftover):
        default_storage.save(name, ContentFile(b"x"))
    for name in (orphan_old, leftover, *media.file_names()):
        _age(name, settings.MEDIA_ORPHAN_GRACE + 60)
    result = services.media_sweep()
    assert result["orphans_removed"] == 2
    assert media_files() == sorted([*media.file_names(), orphan_young])
    # The orphan's now empty directory went too.
    assert not Path(settings.MEDIA_ROOT, os.path.dirname(orphan_old)).exists()
