"""One uploaded product image and its renditions.

Imported by ``catalog.models``, so Django gives it the app label ``catalog``.
Files live in ``STORAGES["default"]`` under names that carry a hash of their
content (see ``catalog.media.storage``); a row names every file it owns, and a
file no row names is an orphan that the sweep removes.
"""

import functools
import uuid

from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

POSITION_MAX = 10_000


class ProductMedia(models.Model):
    class Status(models.TextChoices):
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="media")
    alt = models.CharField(max_length=255, blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    # The original as stored: re-encoded without metadata, orientation applied, sRGB.
    file = models.CharField(max_length=255)
    format = models.CharField(max_length=8)  # jpeg, png or webp
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveBigIntegerField(help_text="Bytes of the stored original.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROCESSING)
    # Why renditions could not be made (status failed); shown to clients.
    error = models.CharField(max_length=255, blank=True, default="")
    # [{"width", "height", "format", "file"}], smallest first.
    renditions = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "product_media"
        ordering = ["position", "created_at", "id"]
        verbose_name = "product media"
        verbose_name_plural = "product media"
        indexes = [
            models.Index(fields=["product", "position"], name="product_media_product_idx"),
            models.Index(fields=["status", "updated_at"], name="product_media_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["processing", "ready", "failed"]),
                name="product_media_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.alt or f"Image {self.id.hex[:8]}"

    def file_names(self) -> list[str]:
        """Every storage name this row owns: the original and its renditions."""
        return [self.file, *(rendition["file"] for rendition in self.renditions)]


@receiver(post_delete, sender=ProductMedia, dispatch_uid="product_media_files_delete")
def _files_delete_after_commit(sender: type, instance: ProductMedia, **kwargs: object) -> None:
    # Every way a row goes (the API, the admin inline, a removed product, a
    # cascade) deletes its files, and only once the deletion has committed: a
    # rollback keeps the row and therefore its files.
    from catalog.media.storage import media_files_delete

    transaction.on_commit(functools.partial(media_files_delete, names=instance.file_names()))
