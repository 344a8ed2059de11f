"""The embedded cache (no ``REDIS_URL``): Django's file-based cache, safe to share.

``make run`` serves from one process while ``manage.py import_products`` (or a
second server) writes from another; both must see one cache and one
invalidation. Django's ``FileBasedCache`` already shares its files between
processes and writes each entry atomically (a temporary file renamed into
place). What it lacks, and what ``catalog.cache`` and ``ecommerce.ratelimit.throttling``
rely on, is added here:

- ``incr`` is atomic across processes. Django's is a read then a write, so
  two processes can lose an increment, and a slow one can even move a
  counter back (read 5, another goes 5 -> 6 -> 7, write 6). The product
  cache's generation counter must never come back to a value an old entry
  was filled under; here every ``incr`` and ``add`` runs under an exclusive
  ``flock`` on one lock file of the cache directory (one host: the embedded
  mode's SQLite file is on one host too).
- ``incr`` keeps the key's expiry. Django's re-``set``s with the default
  timeout (5 minutes), so a counter made with no expiry (the generation) or
  a one-hour rate-limit window would vanish after five minutes.
- Culling never removes a key stored without expiry (the generation and
  epoch counters): Django's cull deletes a random third of the files once
  ``MAX_ENTRIES`` is reached, counters included, which would reset them.

Why not the database cache: measured (see README "Embedded cache"), on SQLite
it puts a write transaction on the application's own database file for every
rate-limit count, and its ``incr`` has the same read-then-write race.
"""

import contextlib
import fcntl
import os
import pickle
import random
import tempfile
import time
import zlib
from collections.abc import Iterator

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files.move import file_move_safe

LOCK_FILE = "cache.lock"


class SharedFileCache(FileBasedCache):
    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        self._createdir()  # type: ignore[attr-defined]
        with open(os.path.join(self._dir, LOCK_FILE), "ab") as lock:  # type: ignore[attr-defined]
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None) -> bool:
        with self._exclusive():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        with self._exclusive():
            fname = self._key_to_file(key, version)  # type: ignore[attr-defined]
            try:
                with open(fname, "rb") as f:
                    expiry = pickle.load(f)  # noqa: S301 (our own files, mode 0700)
                    if expiry is not None and expiry < time.time():
                        raise FileNotFoundError(fname)
                    value = pickle.loads(zlib.decompress(f.read()))  # noqa: S301
            except (FileNotFoundError, EOFError):
                raise ValueError(f"Key '{key}' not found") from None
            new_value = value + delta
            self._write_with_expiry(fname, expiry, new_value)
            return new_value

    def _write_with_expiry(self, fname: str, expiry: float | None, value) -> None:
        fd, tmp_path = tempfile.mkstemp(dir=self._dir)  # type: ignore[attr-defined]
        renamed = False
        try:
            with open(fd, "wb") as f:
                f.write(pickle.dumps(expiry, self.pickle_protocol))
                f.write(zlib.compress(pickle.dumps(value, self.pickle_protocol)))
            file_move_safe(tmp_path, fname, allow_overwrite=True)
            renamed = True
        finally:
            if not renamed:
                os.remove(tmp_path)

    def _cull(self) -> None:
        """Make room like Django's cull, sparing the keys stored without expiry."""
        filelist = self._list_cache_files()  # type: ignore[attr-defined]
        if len(filelist) < self._max_entries:
            return
        now = time.time()
        expiring = []
        for fname in filelist:
            try:
                with open(fname, "rb") as f:
                    expiry = pickle.load(f)  # noqa: S301
            except (FileNotFoundError, EOFError, pickle.UnpicklingError):
                continue
            if expiry is None:
                continue
            if expiry < now:
                self._delete(fname)  # type: ignore[attr-defined]
            else:
                expiring.append(fname)
        if self._cull_frequency == 0:
            doomed = expiring
        else:
            share = min(len(expiring), len(filelist) // self._cull_frequency)
            doomed = random.sample(expiring, share)
        for fname in doomed:
            self._delete(fname)  # type: ignore[attr-defined]
