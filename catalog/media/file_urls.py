"""Uploaded media under MEDIA_URL when they are stored locally (make run); no route
otherwise. Included by the root URLconf by its dotted path, as every app's URLs are."""

from catalog.media.views import media_file_urlpatterns

urlpatterns = media_file_urlpatterns()
