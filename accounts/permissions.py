from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsAdminRole(BasePermission):
    """The caller is an authenticated user with role ``admin``."""

    message = "This action is reserved to administrators."

    def has_permission(self, request: Request, view: object) -> bool:
        if not _handles(view, request.method):
            # Not a question of rights: DRF answers 405 method_not_allowed next,
            # for anyone, as it does on routes open to all.
            return True
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_admin", False))


def _handles(view: object, method: str | None) -> bool:
    name = (method or "").lower()
    return name in getattr(view, "http_method_names", ()) and hasattr(view, name)
