"""Every /v1 route answers with and without a trailing slash, with no redirect."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

pytestmark = pytest.mark.django_db


def _routes(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and isinstance(pattern.pattern, RoutePattern):
            yield prefix + str(pattern.pattern), pattern.callback


def api_routes() -> dict[str, object]:
    """Route -> view of every named route under /v1 (the catch-all 404 is a regex)."""
    return {
        route: view
        for route, view in _routes(get_resolver().url_patterns)
        if route.startswith("v1/") and route != "v1/"
    }


def test_every_api_route_is_mounted_with_and_without_the_slash_on_one_view():
    routes = api_routes()
    bare = sorted(route for route in routes if not route.endswith("/"))

    assert len(bare) >= 15
    for route in bare:
        assert routes.get(f"{route}/") is routes[route], route
    assert {route.rstrip("/") for route in routes} == set(bare)


def concrete(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?\w+>", "x", route)


@pytest.mark.parametrize(
    "route", sorted(route for route in api_routes() if not route.endswith("/"))
)
def test_every_api_route_answers_the_same_with_a_trailing_slash(client, settings, route):
    settings.RATE_LIMIT = "1000/hour"
    path = concrete(route)

    bare, slashed = client.get(path), client.get(f"{path}/")

    assert bare.status_code == slashed.status_code
    assert not 300 <= bare.status_code < 400
    if "<" not in route:  # a route without parameters exists: never "no such endpoint"
        assert bare.status_code != 404


@pytest.mark.parametrize("path", ["/v1/auth/login", "/v1/auth/login/"])
def test_a_post_body_survives_either_form(api_client, path):
    response = api_client.post(
        path, {"email": "nobody@example.com", "password": "wrong-password"}, format="json"
    )

    # Not a redirect and not "field required": the body reached the view.
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
