from django.urls import include, path

from catalog import views
from ecommerce.api.urls import api_path

urlpatterns = [
    *api_path("products", views.ProductListView.as_view(), name="product-list"),
    *api_path(
        "products/<str:id_or_slug>", views.ProductDetailView.as_view(), name="product-detail"
    ),
    *api_path(
        "products/<str:id_or_slug>/variants",
        views.ProductVariantListView.as_view(),
        name="product-variant-list",
    ),
    *api_path(
        "products/<str:id_or_slug>/variants/<str:variant_id>",
        views.ProductVariantDetailView.as_view(),
        name="product-variant-detail",
    ),
    *api_path("categories", views.CategoryListView.as_view(), name="category-list"),
    *api_path("categories/<str:slug>", views.CategoryDetailView.as_view(), name="category-detail"),
    # Product media: uploads and edits (catalog.media).
    path("", include("catalog.media.urls")),
]
