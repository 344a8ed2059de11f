"""The project's routes plus views that crash or refuse, for the plumbing tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from ecommerce.urls import urlpatterns as project_urlpatterns


class CrashingApiView(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> HttpResponse:
        raise RuntimeError("secret-detail: SELECT * FROM users")


class RefusingApiView(APIView):
    """Refuses from inside the view, after DRF's throttles have counted the request."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> HttpResponse:
        raise PermissionDenied()


def crashing_django_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret-detail: SELECT * FROM users")


@csrf_exempt
def body_reading_django_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(len(request.body)))


urlpatterns = [
    path("v1/test-crash-drf", CrashingApiView.as_view()),
    path("v1/test-refuse-in-view", RefusingApiView.as_view()),
    path("v1/test-crash-django", crashing_django_view),
    path("test-crash-django", crashing_django_view),
    path("v1/test-read-body", body_reading_django_view),
    *project_urlpatterns,
]

handler400 = "ecommerce.views.handler400"
handler403 = "ecommerce.views.handler403"
handler404 = "ecommerce.views.handler404"
handler500 = "ecommerce.views.handler500"
