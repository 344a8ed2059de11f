from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path

from ecommerce import health, metrics, views
from ecommerce.api.schema_views import SchemaView, SwaggerView
from ecommerce.api.urls import api_path

v1: list[URLPattern | URLResolver] = [
    path("auth/", include("accounts.urls.auth")),
    path("", include("accounts.urls.users")),
    path("", include("catalog.urls")),
    path("", include("checkout.urls")),
    path("", include("payments.urls")),
    *api_path("schema", SchemaView.as_view(), name="schema"),
    *api_path("docs", SwaggerView.as_view(url_name="schema"), name="docs"),
    # Last: an unknown path under /v1 is an enveloped 404, even with DEBUG on.
    re_path(r"^.*$", views.api_not_found),
]

urlpatterns = [
    path("health", health.health, name="health"),
    path("ready", health.ready, name="ready"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("v1/", include(v1)),
    path("v1", views.api_not_found),
    # Uploaded media under MEDIA_URL when they are stored locally (make run).
    path("", include("catalog.media.file_urls")),
]

handler400 = "ecommerce.views.handler400"
handler403 = "ecommerce.views.handler403"
handler404 = "ecommerce.views.handler404"
handler500 = "ecommerce.views.handler500"
