"""Media files in ``STORAGES["default"]``: content-addressed names, URLs, deletion.

Names are ``products/<media id hex>/<first 20 hex of the bytes' SHA-256>[-<width>].<ext>``:
nothing a client sent (file name, ``Content-Type``) reaches a path, a name
never changes meaning (its URL can be cached forever), and a media's files sit
under one prefix that only it uses.

Writes set ``Content-Type`` from the format Pillow wrote and ``Cache-Control``
(the S3 backend's ``object_parameters``); the local server sets the same
headers (``catalog.media.views.media_file``). A URL is ``MEDIA_URL`` plus the
name, computed without calling the storage backend: a product read never
touches storage.
"""

import contextlib
import hashlib
import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage, storages

logger = logging.getLogger(__name__)

ROOT = "products"
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp"}
# What a name looks like; anything else under MEDIA_URL is not ours.
NAME_RE = re.compile(
    r"^products/(?P<media>[0-9a-f]{32})/[0-9a-f]{20}(-[0-9]{1,5})?\.(jpg|png|webp)$"
)


@dataclass(frozen=True)
class StoredFile:
    name: str
    size: int


def media_file_name(*, media_hex: str, data: bytes, image_format: str, width: int | None) -> str:
    digest = hashlib.sha256(data).hexdigest()[:20]
    suffix = f"-{width}" if width is not None else ""
    return f"{ROOT}/{media_hex}/{digest}{suffix}.{EXTENSIONS[image_format]}"


def media_file_save(
    *, media_hex: str, data: bytes, image_format: str, width: int | None = None
) -> StoredFile:
    """Store ``data`` under its content-addressed name (once: the same bytes are not sent twice)."""
    name = media_file_name(media_hex=media_hex, data=data, image_format=image_format, width=width)
    content = ContentFile(data, name=name)
    # django-storages' S3 backend sends this as the object's Content-Type.
    content.content_type = CONTENT_TYPES[image_format]  # type: ignore[attr-defined]
    if not default_storage.exists(name):
        saved = default_storage.save(name, content)
        if saved != name:  # the local backend renamed it in a race: same bytes, drop the copy
            default_storage.delete(saved)
    return StoredFile(name=name, size=len(data))


def media_file_read(name: str) -> bytes:
    with default_storage.open(name, "rb") as file:
        return file.read()


def media_url(name: str) -> str:
    """The public URL of a stored name: ``MEDIA_URL`` + name (no storage call)."""
    return f"{settings.MEDIA_URL}{name}"


def media_files_delete(*, names: Iterable[str]) -> int:
    """Delete stored files; returns how many went. Failures are logged, not raised.

    Runs after a commit, when nobody can be told any more: a file left behind
    is an orphan that ``media_sweep`` removes later.
    """
    deleted = 0
    directories = set()
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
            deleted += 1
        except Exception as exc:
            logger.warning("Could not delete media file %s: %s", name, exc)
        directories.add(os.path.dirname(name))
    _remove_empty_directories(directories)
    return deleted


def media_files_listed() -> Iterator[str]:
    """Every file name under ``products/`` in the storage (for the orphan sweep)."""
    try:
        media_dirs, _ = default_storage.listdir(ROOT)
    except FileNotFoundError:
        return
    for media_dir in media_dirs:
        with contextlib.suppress(FileNotFoundError):
            _, files = default_storage.listdir(f"{ROOT}/{media_dir}")
            for file in files:
                yield f"{ROOT}/{media_dir}/{file}"


def media_storage_is_local() -> bool:
    """True for the embedded default: files in a local directory the app serves itself."""
    return isinstance(storages["default"], FileSystemStorage)


def _remove_empty_directories(directories: Iterable[str]) -> None:
    """A local media's directory goes with its last file (object stores have none)."""
    if not media_storage_is_local():
        return
    for directory in directories:
        with contextlib.suppress(OSError, NotImplementedError):
            os.rmdir(default_storage.path(directory))
