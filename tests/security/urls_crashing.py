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


def crashing_django_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"{SECRET_DETAIL}: SELECT password FROM users")  # noqa: S608


urlpatterns = [
    path("v1/test-crash-drf", CrashingApiView.as_view()),
    path("v1/test-bad-sql", BadSqlApiView.as_view()),
    path("v1/test-crash-django", crashing_django_view),
    *project_urlpatterns,
]

handler400 = "ecommerce.views.handler400"
handler403 = "ecommerce.views.handler403"
handler404 = "ecommerce.views.handler404"
handler500 = "ecommerce.views.handler500"
