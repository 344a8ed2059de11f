"""Refresh-token families on top of SimpleJWT's tokens and blacklist.

Every login starts a family; each refresh rotates the family's one live token
and blacklists the old one. An already-rotated token coming back means someone
kept a copy: the whole family is revoked, the newest token included.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.errors import TokenInvalid
from accounts.models import TokenFamily, User

FAMILY_CLAIM = "fam"


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str

    @property
    def expires_in(self) -> int:
        return int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())

    def as_response(self) -> dict[str, Any]:
        return {
            "accessToken": self.access,
            "refreshToken": self.refresh,
            "tokenType": "Bearer",
            "expiresIn": self.expires_in,
        }


def token_pair_issue(*, user: User) -> TokenPair:
    """Start a new family (a login) and return its first pair."""
    with transaction.atomic():
        family = TokenFamily.objects.create(user=user, current_jti="")
        refresh = _refresh_for(user, family)
        family.current_jti = refresh[api_settings.JTI_CLAIM]
        family.save(update_fields=["current_jti"])
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def token_pair_rotate(*, raw_refresh: str) -> TokenPair:
    """Exchange a refresh token for a new pair.

    Locks the family row, so two refreshes with one token cannot both win:
    the second sees a rotated token and revokes the family.
    Raises TokenInvalid for anything but the family's current, live token.
    """
    payload = _decode_refresh(raw_refresh)
    with transaction.atomic():
        family = _locked_family(payload)
        if family.revoked_at is not None or not family.user.is_active:
            raise TokenInvalid()
        jti = payload[api_settings.JTI_CLAIM]
        reused = jti != family.current_jti
        if reused:
            # Committed before the error is raised: the revocation must stick.
            _revoke_locked(family, reason="reuse")
        else:
            _blacklist(jti)
            refresh = _refresh_for(family.user, family)
            family.current_jti = refresh[api_settings.JTI_CLAIM]
            family.save(update_fields=["current_jti"])
    if reused:
        raise TokenInvalid("Refresh token reuse detected; the session has been revoked.")
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def token_family_revoke_by_token(*, raw_refresh: str, user: User) -> None:
    """Logout: the family of this (caller's own) refresh token stops working."""
    payload = _decode_refresh(raw_refresh)
    with transaction.atomic():
        family = _locked_family(payload)
        if family.user_id != user.id:
            raise TokenInvalid()
        _revoke_locked(family, reason="logout")


def token_families_revoke(*, user: User, reason: str, keep_family_id: str | None = None) -> int:
    """Revoke every live family of ``user`` but ``keep_family_id``; returns how many."""
    with transaction.atomic():
        families = TokenFamily.objects.select_for_update().filter(user=user, revoked_at=None)
        if keep_family_id:
            families = families.exclude(id=keep_family_id)
        count = 0
        for family in families:
            _revoke_locked(family, reason=reason)
            count += 1
    return count


def token_families_purge() -> int:
    """Delete the families no token of which can still be presented; returns how many.

    A live family is dead once its current refresh token has expired (its
    OutstandingToken is past ``expires_at``, or already flushed by SimpleJWT's
    ``flushexpiredtokens``); a revoked one once a whole refresh lifetime has
    passed since the revocation, as every token it issued came before that.
    Until then a revoked family is kept, with its reason, for the admin. An old
    token of a purged family is refused all the same (TokenInvalid).
    """
    now = timezone.now()
    unexpired = OutstandingToken.objects.filter(expires_at__gt=now).values("jti")
    dead = TokenFamily.objects.filter(revoked_at=None).exclude(current_jti__in=unexpired)
    revoked_long_ago = TokenFamily.objects.filter(
        revoked_at__lt=now - settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    )
    _, deleted = (dead | revoked_long_ago).delete()
    return deleted.get(TokenFamily._meta.label, 0)


def _refresh_for(user: User, family: TokenFamily) -> RefreshToken:
    refresh = RefreshToken.for_user(user)  # records an OutstandingToken
    refresh[FAMILY_CLAIM] = str(family.id)
    return refresh


def _decode_refresh(raw: str) -> dict[str, Any]:
    # Signature, algorithm and expiry are checked by the token backend; the
    # blacklist is deliberately not consulted here, because a blacklisted
    # token of a live family is the reuse signal handled by the caller.
    if not isinstance(raw, str) or not raw:
        raise TokenInvalid()
    try:
        payload = token_backend.decode(raw, verify=True)  # type: ignore[arg-type]
    except TokenBackendError as exc:
        raise TokenInvalid() from exc
    if payload.get(api_settings.TOKEN_TYPE_CLAIM) != "refresh" or not payload.get(FAMILY_CLAIM):
        raise TokenInvalid()
    if api_settings.JTI_CLAIM not in payload:
        raise TokenInvalid()
    return payload


def _locked_family(payload: dict[str, Any]) -> TokenFamily:
    try:
        family_id = uuid.UUID(str(payload[FAMILY_CLAIM]))
        user_id = uuid.UUID(str(payload.get(api_settings.USER_ID_CLAIM)))
    except ValueError as exc:
        raise TokenInvalid() from exc
    family = (
        TokenFamily.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(id=family_id, user_id=user_id)
        .first()
    )
    if family is None:
        raise TokenInvalid()
    return family


def _revoke_locked(family: TokenFamily, *, reason: str) -> None:
    if family.revoked_at is None:
        family.revoked_at = timezone.now()
        family.revoked_reason = reason
        family.save(update_fields=["revoked_at", "revoked_reason"])
    _blacklist(family.current_jti)


def _blacklist(jti: str) -> None:
    outstanding = OutstandingToken.objects.filter(jti=jti).first()
    if outstanding is not None:
        BlacklistedToken.objects.get_or_create(token=outstanding)
