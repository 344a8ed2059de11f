from accounts import views
from ecommerce.api.urls import api_path

urlpatterns = [
    *api_path("users", views.UserListView.as_view(), name="user-list"),
    *api_path("users/me", views.UserMeView.as_view(), name="user-me"),
    *api_path("users/<str:user_id>", views.UserDetailView.as_view(), name="user-detail"),
]
