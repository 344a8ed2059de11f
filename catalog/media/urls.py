from catalog.media import views
from ecommerce.api.urls import api_path

urlpatterns = [
    *api_path(
        "products/<str:id_or_slug>/media",
        views.ProductMediaListView.as_view(),
        name="product-media-list",
    ),
    *api_path(
        "products/<str:id_or_slug>/media/<str:media_id>",
        views.ProductMediaDetailView.as_view(),
        name="product-media-detail",
    ),
]
