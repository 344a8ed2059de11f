"""The project's routes plus views under /v1 that fail in each layer (test only)."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from ecommerce.urls import urlpatterns as project_urlpatterns

SECRET_DETAIL = "secret-detail-7f3a"


class CrashingApiView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> HttpResponse:
        raise RuntimeError(f"{SECRET_DETAIL}: SELECT password FROM users")  # noqa: S608


class BadSqlApiView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> HttpResponse:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {SECRET_DETAIL} FROM no_such_table")  # noqa: S608
        return HttpResponse()


class ModelValidationApiView(APIView):
    """A write whose input no serializer checked: the model's full_clean refuses it."""

    permission_classes = [AllowAny]

    def post(self, request: Request) -> HttpResponse:
        from accounts.models import User

        user = User(email=request.data.get("email", ""), name="x", phone="not-e164")  # type: ignore[union-attr]
        user.full_clean(exclude=["password"])
        return HttpResponse()


class BareValidationApiView(APIView):
    """A validator raising outside any model: a ValidationError without fields."""

    permission_classes = [AllowAny]

    def post(self, request: Request) -> HttpResponse:
        from django.core.exceptions import ValidationError

        raise ValidationError("Not acceptable input.")


def crashing_django_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"{SECRET_DETAIL}: SELECT password FROM users")  # noqa: S608


urlpatterns = [
    path("v1/test-crash-drf", CrashingApiView.as_view()),
    path("v1/test-bad-sql", BadSqlApiView.as_view()),
    path("v1/test-crash-django", crashing_django_view),
    path("v1/test-model-validation", ModelValidationApiView.as_view()),
    path("v1/test-bare-validation", BareValidationApiView.as_view()),
    *project_urlpatterns,
]

handler400 = "ecommerce.views.handler400"
handler403 = "ecommerce.views.handler403"
handler404 = "ecommerce.views.handler404"
handler500 = "ecommerce.views.handler500"
