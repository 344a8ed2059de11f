from accounts import views
from ecommerce.api.urls import api_path

urlpatterns = [
    *api_path("register", views.RegisterView.as_view(), name="auth-register"),
    *api_path("login", views.LoginView.as_view(), name="auth-login"),
    *api_path("refresh", views.RefreshView.as_view(), name="auth-refresh"),
    *api_path("logout", views.LogoutView.as_view(), name="auth-logout"),
    *api_path("logout-all", views.LogoutAllView.as_view(), name="auth-logout-all"),
    *api_path("password/change", views.PasswordChangeView.as_view(), name="auth-password-change"),
    *api_path("password/reset", views.PasswordResetView.as_view(), name="auth-password-reset"),
    *api_path(
        "password/reset/confirm",
        views.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
]
