"""Reads of accounts used by the views."""

import uuid

from django.db.models import QuerySet

from accounts.email_address import email_normalize_or_none
from accounts.models import User


def user_get_visible(*, viewer: User, user_id: uuid.UUID) -> User | None:
    """The user ``user_id`` if ``viewer`` may see it (itself, or anyone for an admin).

    None for both "does not exist" and "not yours", so the API can answer 404
    without hinting that another account exists.
    """
    if not viewer.is_admin and viewer.pk != user_id:
        return None
    return User.objects.filter(pk=user_id).first()


def user_list(*, role: str | None = None, email: str | None = None) -> QuerySet[User]:
    users = User.objects.order_by("-created_at", "-id")
    if role:
        users = users.filter(role=role)
    if email:
        # An address that cannot be normalised matches no account.
        users = users.filter(email=email_normalize_or_none(email) or "")
    return users
