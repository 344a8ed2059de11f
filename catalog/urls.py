from django.urls import include, path

from catalog import views
from ecommerce.api.urls import api_path

urlpatterns = [
    *api_path("products", views.ProductListView.as_view(), name="product-list"),
    *api_path(
        "products/<str:id_or_slug>", views.ProductDetailView.as_view(), name="product-detail"
    ),
    # Product media: uploads and edits (catalog.media).
    path("", include("catalog.media.urls")),
]
