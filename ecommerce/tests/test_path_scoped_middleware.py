"""The site-only middleware is off the /v1 path, and no response changed for it.

Counting subclasses of the middleware in SITE_MIDDLEWARE, registered with
override_settings, show which of them a real request enters; the same routes
answered through the flat MIDDLEWARE of before (the block expanded in place)
and through PathScopedMiddleware carry the same headers and cookies.
"""

from collections import Counter
from typing import Any

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from whitenoise.middleware import WhiteNoiseMiddleware  # type: ignore[import-untyped]

from ecommerce.admin_site_middleware import (
    AdminAuthenticationMiddleware,
    AdminMessageMiddleware,
    AdminSessionMiddleware,
)
from ecommerce.api.envelope import API_PREFIX
from ecommerce.path_scoped_middleware import PathScopedMiddleware, expanded_middleware

CALLS: Counter[str] = Counter()


class Counting:
    """Counts every entry into the middleware's __call__ and process_view."""

    def __call__(self, request: Any) -> Any:
        CALLS[f"{type(self).__name__}.__call__"] += 1
        return super().__call__(request)  # type: ignore[misc]


class CountingViewHook(Counting):
    def process_view(self, request: Any, *args: Any) -> Any:
        CALLS[f"{type(self).__name__}.process_view"] += 1
        return super().process_view(request, *args)  # type: ignore[misc]


class CountWhiteNoise(Counting, WhiteNoiseMiddleware):
    pass


class CountSession(Counting, AdminSessionMiddleware):
    pass


class CountCommon(Counting, CommonMiddleware):
    pass


class CountCsrf(CountingViewHook, CsrfViewMiddleware):
    pass


class CountAuthentication(Counting, AdminAuthenticationMiddleware):
    pass


class CountMessage(Counting, AdminMessageMiddleware):
    pass


class CountXFrame(Counting, XFrameOptionsMiddleware):
    pass


COUNTING = {
    "whitenoise.middleware.WhiteNoiseMiddleware": CountWhiteNoise,
    "ecommerce.admin_site_middleware.AdminSessionMiddleware": CountSession,
    "django.middleware.common.CommonMiddleware": CountCommon,
    "django.middleware.csrf.CsrfViewMiddleware": CountCsrf,
    "ecommerce.admin_site_middleware.AdminAuthenticationMiddleware": CountAuthentication,
    "ecommerce.admin_site_middleware.AdminMessageMiddleware": CountMessage,
    "django.middleware.clickjacking.XFrameOptionsMiddleware": CountXFrame,
}
SITE_ONLY = {
    CountWhiteNoise,
    CountSession,
    CountCsrf,
    CountAuthentication,
    CountMessage,
}
STATIC_FILE = f"{settings.STATIC_URL}ecommerce/admin_dashboard.css"
# Values that differ from one request to the next whatever the middleware.
# A page with a fresh CSRF token in its form: compared by length.
RANDOM_BODY = {"/admin/login/"}
VOLATILE = {
    "X-Request-ID",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "RateLimit-Remaining",
    "RateLimit-Reset",
}


def _dotted(cls: type) -> str:
    return f"{__name__}.{cls.__name__}"


@pytest.fixture
def counting_settings():
    assert set(settings.SITE_MIDDLEWARE) == set(COUNTING)
    with override_settings(
        SITE_MIDDLEWARE=[_dotted(COUNTING[path]) for path in settings.SITE_MIDDLEWARE],
        API_MIDDLEWARE=[_dotted(COUNTING[path]) for path in settings.API_MIDDLEWARE],
    ):
        CALLS.clear()
        yield


def _entered() -> set[str]:
    return {name.partition(".")[0] for name in CALLS}


def test_the_settings_keep_the_site_only_middleware_inside_the_scoped_one():
    assert "ecommerce.path_scoped_middleware.PathScopedMiddleware" in settings.MIDDLEWARE
    for path in settings.SITE_MIDDLEWARE:
        assert path not in settings.MIDDLEWARE
    assert [path for path in settings.SITE_MIDDLEWARE if path in settings.API_MIDDLEWARE] == (
        settings.API_MIDDLEWARE
    )


@pytest.mark.django_db
@pytest.mark.parametrize("path", [f"{API_PREFIX}/products", f"{API_PREFIX}/no-such-route"])
def test_a_v1_request_enters_none_of_the_site_only_middleware(counting_settings, path):
    response = Client().get(path)
    assert response.status_code in {200, 404}
    assert _entered() == {CountCommon.__name__, CountXFrame.__name__}
    assert CALLS[f"{CountCommon.__name__}.__call__"] == 1
    assert not _entered() & {cls.__name__ for cls in SITE_ONLY}


@pytest.mark.django_db
def test_an_authenticated_v1_write_skips_the_csrf_hooks(counting_settings, customer_client):
    response = customer_client.get(f"{API_PREFIX}/users/me")
    assert response.status_code == 200
    response = Client(enforce_csrf_checks=True).post(
        f"{API_PREFIX}/auth/login",
        {"email": "nobody@example.com", "password": "x" * 12},
        content_type="application/json",
    )
    assert response.status_code in {400, 401}
    assert f"{CountCsrf.__name__}.process_view" not in CALLS
    assert _entered() == {CountCommon.__name__, CountXFrame.__name__}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/health", STATIC_FILE])
def test_every_other_path_runs_the_whole_site_middleware(counting_settings, path):
    response = Client().get(path)
    assert response.status_code == 200, path
    if path == STATIC_FILE:  # WhiteNoise answers on its own, as in the flat chain
        assert _entered() == {CountWhiteNoise.__name__}
    else:
        assert _entered() == {cls.__name__ for cls in COUNTING.values()}
        assert CALLS[f"{CountCsrf.__name__}.process_view"] == 1


@pytest.mark.django_db
def test_the_admin_login_still_refuses_a_post_without_csrf_token(counting_settings):
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "a"})
    assert response.status_code == 403
    assert response["X-Frame-Options"] == "DENY"


def test_every_view_under_v1_is_csrf_exempt():
    """What makes skipping CsrfViewMiddleware on /v1 lose no check."""

    def walk(patterns: list[Any], prefix: str) -> list[tuple[str, Any]]:
        views = []
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                views += walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                views.append((route, pattern.callback))
        return views

    api_views = [
        (route, view)
        for route, view in walk(get_resolver().url_patterns, "/")
        if route == API_PREFIX or route.startswith(f"{API_PREFIX}/")
    ]
    assert len(api_views) > 10
    assert [route for route, view in api_views if not getattr(view, "csrf_exempt", False)] == []


def _headers(response: Any) -> list[tuple[str, str]]:
    return [(name, "<volatile>" if name in VOLATILE else value) for name, value in response.items()]


def _cookies(response: Any) -> dict[str, dict[str, Any]]:
    # The value of a new csrftoken or session key is random; its attributes are not.
    return {name: dict(morsel) for name, morsel in response.cookies.items()}


def _answers(client_factory: Any) -> dict[str, Any]:
    answers = {}
    for path in [
        f"{API_PREFIX}/products",
        f"{API_PREFIX}/users/me",
        f"{API_PREFIX}/no-such-route",
        "/admin/login/",
        "/health",
        STATIC_FILE,
    ]:
        response = client_factory().get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        answers[path] = (
            response.status_code,
            _headers(response),
            _cookies(response),
            len(body) if path in RANDOM_BODY else body,
        )
    return answers


@pytest.mark.django_db
def test_the_responses_are_the_same_as_through_the_flat_middleware(customer_client):
    def client() -> Client:
        # The customer's token on every request; a fresh handler per client.
        fresh = type(customer_client)()
        fresh.credentials(**customer_client._credentials)
        return fresh

    _answers(client)  # the cached reads are hits from here on, in both runs
    scoped = _answers(client)
    with override_settings(MIDDLEWARE=expanded_middleware()):
        assert PathScopedMiddleware.__name__ not in "".join(settings.MIDDLEWARE)
        flat = _answers(client)
    assert list(scoped) == list(flat)
    for path, (status, headers, cookies, body) in scoped.items():
        assert headers == flat[path][1], path
        assert (status, cookies, body) == (flat[path][0], flat[path][2], flat[path][3]), path
    assert scoped[f"{API_PREFIX}/users/me"][0] == 200
    assert scoped[f"{API_PREFIX}/no-such-route"][0] == 404
    assert scoped["/admin/login/"][2]  # its csrftoken cookie: the site chain ran
    for path, (_, headers, _, _) in scoped.items():
        assert ("X-Frame-Options", "DENY") in headers or path == STATIC_FILE, path


def test_the_middleware_checks_run_on_the_expanded_list():
    assert not [m for m in run_checks(tags=["admin"]) if m.id.startswith("ecommerce.admin.")]
    without_csrf = [path for path in settings.SITE_MIDDLEWARE if "Csrf" not in path]
    with override_settings(SITE_MIDDLEWARE=without_csrf):
        messages = run_checks(include_deployment_checks=True)
        ids = {message.id for message in messages if not message.is_silenced()}
    assert "ecommerce.security.W003" in ids
    assert "security.W003" not in ids
