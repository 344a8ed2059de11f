"""The site's middleware, built twice at start: all of it, and what /v1 needs.

Of the middleware between CORS and the view, most does nothing for a request
under ``/v1`` (``API_PREFIX``):

- WhiteNoise answers ``/static/`` paths only and calls through otherwise;
- the admin's session, authentication and message middleware
  (ecommerce.admin_site_middleware) already step aside off ``/admin/``;
- ``CsrfViewMiddleware`` checks nothing for a ``csrf_exempt`` view, and every
  view under ``/v1`` is one (DRF's ``APIView.as_view``; the API authenticates
  by bearer token, with no session and no ``SessionAuthentication``). Its one
  remaining act on an API request was to reissue a malformed ``csrftoken``
  cookie, a site cookie the API never reads.

``CommonMiddleware`` (``Content-Length``, ``DISALLOWED_USER_AGENTS``) and
``XFrameOptionsMiddleware`` (``X-Frame-Options: DENY``, which the security
suite requires on API responses) do act on ``/v1`` and stay on its path.

Django has no path-scoped middleware: ``MIDDLEWARE`` is one chain for every
request, and each entry pays its call (and ``process_view``) even to do
nothing; no well-kept library offers a scoped chain either. So
``PathScopedMiddleware`` stands in ``MIDDLEWARE`` where that block was and,
with Django's factory pattern, builds it once per handler from
``SITE_MIDDLEWARE``: the whole list for every other path, and only its
entries also named in ``API_MIDDLEWARE`` (same order) for ``/v1``. A ``/v1``
request never enters the others' ``__call__`` or ``process_view``. As in
``BaseHandler.load_middleware``, each layer is wrapped in
``convert_exception_to_response``, ``MiddlewareNotUsed`` drops an entry, and
the wrapped middlewares' ``process_view`` hooks run (through this one's) in
their order; a wrapped ``process_exception`` or ``process_template_response``
is refused at start, as none is needed and this does not reimplement them.

Django's and the admin's system checks look for these classes in
``MIDDLEWARE`` itself (admin.E408-E410, security.W002/W003/W016/W019);
``check_scoped_middleware`` runs those same checks against the expanded list
and reports what they find under ``ecommerce.`` ids, the originals being
silenced in settings (``SILENCED_SYSTEM_CHECKS``).
"""

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.core.checks import CheckMessage
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponseBase
from django.test.utils import override_settings
from django.utils.module_loading import import_string

from ecommerce.api.envelope import is_api_path

Handler = Callable[[HttpRequest], HttpResponseBase]
ViewHook = Callable[..., HttpResponseBase | None]

# The checks that look for a class in MIDDLEWARE, run again on the expanded list.
SCOPED_CHECKS = {
    "admin.E408": "django.contrib.admin.checks.check_dependencies",
    "admin.E409": "django.contrib.admin.checks.check_dependencies",
    "admin.E410": "django.contrib.admin.checks.check_dependencies",
    "security.W002": "django.core.checks.security.base.check_xframe_options_middleware",
    "security.W019": "django.core.checks.security.base.check_xframe_deny",
    "security.W003": "django.core.checks.security.csrf.check_csrf_middleware",
    "security.W016": "django.core.checks.security.csrf.check_csrf_cookie_secure",
}
DEPLOY_ONLY = {"security.W002", "security.W019", "security.W003", "security.W016"}


def build_chain(paths: list[str], get_response: Handler) -> tuple[Handler, list[ViewHook]]:
    """The handler running ``paths`` in order around get_response, and their view hooks."""
    handler = get_response
    view_hooks: list[ViewHook] = []
    for path in reversed(paths):
        middleware = import_string(path)
        try:
            instance = middleware(handler)
        except MiddlewareNotUsed:
            continue
        if instance is None:
            raise ImproperlyConfigured(f"Middleware factory {path} returned None.")
        for hook in ("process_exception", "process_template_response"):
            if hasattr(instance, hook):
                raise ImproperlyConfigured(f"{path}.{hook} is not run by PathScopedMiddleware.")
        if hasattr(instance, "process_view"):
            view_hooks.insert(0, instance.process_view)
        # Sync only (sync_capable, not async_capable): never an awaitable here.
        handler = cast(Handler, convert_exception_to_response(instance))
    return handler, view_hooks


class PathScopedMiddleware:
    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Handler) -> None:
        site: list[str] = list(settings.SITE_MIDDLEWARE)
        api_only = set(settings.API_MIDDLEWARE)
        if unknown := api_only - set(site):
            raise ImproperlyConfigured(f"API_MIDDLEWARE not in SITE_MIDDLEWARE: {sorted(unknown)}")
        self.site, self.site_view_hooks = build_chain(site, get_response)
        api = [path for path in site if path in api_only]
        self.api, self.api_view_hooks = build_chain(api, get_response)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if is_api_path(request.path_info):
            return self.api(request)
        return self.site(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponseBase | None:
        hooks = self.api_view_hooks if is_api_path(request.path_info) else self.site_view_hooks
        for hook in hooks:
            if (response := hook(request, view, args, kwargs)) is not None:
                return response
        return None


def expanded_middleware() -> list[str]:
    """MIDDLEWARE as a flat list, the scoped block in its place."""
    flat = []
    for path in settings.MIDDLEWARE:
        if path == f"{__name__}.{PathScopedMiddleware.__name__}":
            flat.extend(settings.SITE_MIDDLEWARE)
        else:
            flat.append(path)
    return flat


def check_scoped_middleware(*, deploy: bool) -> list[CheckMessage]:
    """Django's and the admin's middleware checks, on the expanded MIDDLEWARE."""
    ids = {check_id for check_id in SCOPED_CHECKS if (check_id in DEPLOY_ONLY) == deploy}
    found: list[CheckMessage] = []
    with override_settings(MIDDLEWARE=expanded_middleware()):
        for check_path in sorted({SCOPED_CHECKS[check_id] for check_id in ids}):
            for message in import_string(check_path)(app_configs=None):
                if message.id in ids:
                    found.append(
                        CheckMessage(
                            message.level,
                            message.msg,
                            hint=message.hint,
                            obj=message.obj,
                            id=f"ecommerce.{message.id}",
                        )
                    )
    return found
