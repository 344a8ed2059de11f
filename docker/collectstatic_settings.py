"""Settings for ``collectstatic`` at image build (docker/Dockerfile), nothing else.

The production settings, with the storage that writes hashed, gzip-compressed
copies of every static file and their manifest (``staticfiles.json``). At run
time ecommerce.settings sees that manifest in STATIC_ROOT and serves the hashed
names, which WhiteNoise sends with a far-future ``Cache-Control: immutable``.
Without it the build would collect plain names only (ecommerce.settings picks
the manifest storage only once a manifest exists).
"""

from ecommerce.settings import *  # noqa: F403
from ecommerce.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
