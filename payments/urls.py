from ecommerce.api.urls import api_path
from payments import views

urlpatterns = [
    *api_path("payments/webhook", views.PaymentWebhookView.as_view(), name="payment-webhook"),
    *api_path(
        "payments/webhook/stripe", views.StripeWebhookView.as_view(), name="payment-webhook-stripe"
    ),
    *api_path(
        "payments/<str:payment_id>", views.PaymentDetailView.as_view(), name="payment-detail"
    ),
    *api_path(
        "payments/<str:payment_id>/refund", views.PaymentRefundView.as_view(), name="payment-refund"
    ),
]
