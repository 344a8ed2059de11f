from checkout import views
from ecommerce.api.urls import api_path

urlpatterns = [
    *api_path("checkout/quote", views.QuoteView.as_view(), name="checkout-quote"),
    *api_path("orders", views.OrderListCreateView.as_view(), name="order-list"),
    *api_path("orders/<str:order_id>", views.OrderDetailView.as_view(), name="order-detail"),
    *api_path("orders/<str:order_id>/cancel", views.OrderCancelView.as_view(), name="order-cancel"),
    *api_path(
        "shipping-methods", views.ShippingMethodListView.as_view(), name="shipping-method-list"
    ),
    *api_path(
        "shipping-methods/<str:method_id>",
        views.ShippingMethodDetailView.as_view(),
        name="shipping-method-detail",
    ),
    *api_path("tax-rates", views.TaxRateListView.as_view(), name="tax-rate-list"),
    *api_path("tax-rates/<str:rate_id>", views.TaxRateDetailView.as_view(), name="tax-rate-detail"),
    *api_path("discount-codes", views.DiscountCodeListView.as_view(), name="discount-code-list"),
    *api_path(
        "discount-codes/<str:code_id>",
        views.DiscountCodeDetailView.as_view(),
        name="discount-code-detail",
    ),
]
