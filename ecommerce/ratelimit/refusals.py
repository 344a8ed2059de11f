"""Refusals DRF makes before its throttles run are counted too.

DRF authenticates and checks permissions before it throttles, so a 401 or 403
from that stage never reached the throttles: without this, a client without a
valid token could call protected endpoints without any limit. The exception
handler (``ecommerce.api.exceptions``) asks ``throttled_instead`` for every such
refusal.
"""

from rest_framework import exceptions as drf

from ecommerce.ratelimit.throttling import REQUEST_ATTRIBUTE

REFUSED_BEFORE_THROTTLING = (drf.NotAuthenticated, drf.AuthenticationFailed, drf.PermissionDenied)


def throttled_instead(exc: drf.APIException, context: dict) -> drf.Throttled | None:
    """Count a request refused before throttling; Throttled when it is over the limit.

    Refusals raised later (by the view itself) were counted already and are
    left alone.
    """
    view, request = context.get("view"), context.get("request")
    if view is None or request is None or not hasattr(view, "check_throttles"):
        return None
    if getattr(getattr(request, "_request", request), REQUEST_ATTRIBUTE, None) is not None:
        return None
    try:
        view.check_throttles(request)
    except drf.Throttled as throttled:
        return throttled
    return None
