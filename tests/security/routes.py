"""The /v1 routes, read from the URLconf, and who may call each one.

``ACCESS`` is the security suite's model of the API. A route added to the
URLconf without an entry here fails ``test_every_api_route_has_an_access_rule``
(test_api5_function_authorization.py), and every entry is exercised by the
object-level (API1) and function-level (API5) tests: a new object route gets
its authorization tested as soon as it is classified.
"""

from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

# Who may call a route.
PUBLIC = "public"  # anyone, no token needed
PROTECTED = "protected"  # any authenticated user, acting on their own data
OWNER = "owner"  # an object route: its owner or an admin; anyone else gets 404
ADMIN = "admin"  # role admin only: 401 anonymous, 403 customer
WEBHOOK = "webhook"  # the payment provider, authenticated by signature

ACCESS: dict[tuple[str, str], str] = {
    ("auth/register", "POST"): PUBLIC,
    ("auth/login", "POST"): PUBLIC,
    ("auth/refresh", "POST"): PUBLIC,
    ("auth/logout", "POST"): PROTECTED,
    ("auth/logout-all", "POST"): PROTECTED,
    ("auth/password/change", "POST"): PROTECTED,
    ("auth/password/reset", "POST"): PUBLIC,
    ("auth/password/reset/confirm", "POST"): PUBLIC,
    ("users", "GET"): ADMIN,
    ("users/me", "GET"): PROTECTED,
    ("users/<str:user_id>", "GET"): OWNER,
    ("users/<str:user_id>", "PATCH"): OWNER,
    ("users/<str:user_id>", "PUT"): OWNER,
    ("products", "GET"): PUBLIC,
    ("products", "POST"): ADMIN,
    ("products/<str:id_or_slug>", "GET"): PUBLIC,
    ("products/<str:id_or_slug>", "PATCH"): ADMIN,
    ("products/<str:id_or_slug>", "PUT"): ADMIN,
    ("products/<str:id_or_slug>", "DELETE"): ADMIN,
    # Product media (catalog.media): admin writes; reads come with the product.
    ("products/<str:id_or_slug>/media", "POST"): ADMIN,
    ("products/<str:id_or_slug>/media/<str:media_id>", "PATCH"): ADMIN,
    ("products/<str:id_or_slug>/media/<str:media_id>", "DELETE"): ADMIN,
    ("products/<str:id_or_slug>/variants", "POST"): ADMIN,
    ("products/<str:id_or_slug>/variants/<str:variant_id>", "PATCH"): ADMIN,
    ("products/<str:id_or_slug>/variants/<str:variant_id>", "DELETE"): ADMIN,
    ("categories", "GET"): PUBLIC,
    ("categories", "POST"): ADMIN,
    ("categories/<str:slug>", "GET"): PUBLIC,
    ("categories/<str:slug>", "PATCH"): ADMIN,
    ("categories/<str:slug>", "DELETE"): ADMIN,
    ("orders", "GET"): PROTECTED,
    ("orders", "POST"): PROTECTED,
    ("orders/<str:order_id>", "GET"): OWNER,
    # Admin-only object routes: the role check comes before the lookup, so a
    # customer gets the same 403 for any id, theirs, another's or none.
    ("orders/<str:order_id>", "PATCH"): ADMIN,
    ("orders/<str:order_id>/cancel", "POST"): OWNER,
    # The checkout: a quote is public; the pricing rules are the staff's, except
    # the list of shipping methods a customer chooses from.
    ("checkout/quote", "POST"): PUBLIC,
    ("shipping-methods", "GET"): PUBLIC,
    ("shipping-methods", "POST"): ADMIN,
    ("shipping-methods/<str:method_id>", "GET"): ADMIN,
    ("shipping-methods/<str:method_id>", "PATCH"): ADMIN,
    ("shipping-methods/<str:method_id>", "DELETE"): ADMIN,
    ("tax-rates", "GET"): ADMIN,
    ("tax-rates", "POST"): ADMIN,
    ("tax-rates/<str:rate_id>", "GET"): ADMIN,
    ("tax-rates/<str:rate_id>", "PATCH"): ADMIN,
    ("tax-rates/<str:rate_id>", "DELETE"): ADMIN,
    ("discount-codes", "GET"): ADMIN,
    ("discount-codes", "POST"): ADMIN,
    ("discount-codes/<str:code_id>", "GET"): ADMIN,
    ("discount-codes/<str:code_id>", "PATCH"): ADMIN,
    ("discount-codes/<str:code_id>", "DELETE"): ADMIN,
    ("payments/webhook", "POST"): WEBHOOK,
    ("payments/webhook/stripe", "POST"): WEBHOOK,
    ("payments/<str:payment_id>", "GET"): OWNER,
    ("payments/<str:payment_id>/refund", "POST"): ADMIN,
    ("schema", "GET"): PUBLIC,
    ("docs", "GET"): PUBLIC,
}

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    template: str  # under /v1/, without the trailing slash: "orders/<str:order_id>"
    method: str
    view: Any

    @property
    def key(self) -> tuple[str, str]:
        return (self.template, self.method)

    @property
    def access(self) -> str:
        return ACCESS[self.key]

    def __str__(self) -> str:
        return f"{self.method} /v1/{self.template}"


def _walk(patterns: list, prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found.extend(_walk(pattern.url_patterns, route))
        elif isinstance(pattern, URLPattern):
            found.append((route, pattern.callback))
    return found


def api_routes() -> list[Route]:
    """Every (route, method) a view under /v1 answers, trailing-slash twins merged.

    The catch-all 404 view is not a route. HEAD and OPTIONS follow GET and the
    view's permissions in DRF, so they are not listed separately.
    """
    routes: dict[tuple[str, str], Route] = {}
    for path, callback in _walk(get_resolver().url_patterns):
        if not path.startswith("v1/"):
            continue
        view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        if view_class is None:
            continue  # the catch-all api_not_found
        template = path.removeprefix("v1/").rstrip("/")
        for method in _METHODS:
            if hasattr(view_class, method.lower()):
                route = Route(template=template, method=method, view=view_class)
                routes.setdefault(route.key, route)
    return sorted(routes.values(), key=lambda route: route.key)


def routes_with(access: str) -> list[Route]:
    return [route for route in api_routes() if ACCESS.get(route.key) == access]
