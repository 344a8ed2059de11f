from ecommerce.api.urls import api_path
from orders import views

urlpatterns = [
    *api_path("orders", views.OrderListCreateView.as_view(), name="order-list"),
    *api_path("orders/<str:order_id>", views.OrderDetailView.as_view(), name="order-detail"),
    *api_path("orders/<str:order_id>/cancel", views.OrderCancelView.as_view(), name="order-cancel"),
]
