"""Bearer-token authentication for the API."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from accounts.auth_record import auth_user_get
from accounts.models import User


class JWTAuthentication(SimpleJWTAuthentication):
    """SimpleJWT's, with the user read from its auth record (accounts.auth_record).

    The checks are SimpleJWT's own (an unknown user, an inactive one), on the
    record when Redis has a current one and on PostgreSQL otherwise, so a
    deactivation or a role change applies from the next request on. A signed
    token whose user id is not a UUID is an invalid token (401 token_invalid)
    rather than a database error (500).
    """

    def get_user(self, validated_token: Token) -> User:  # type: ignore[override]
        try:
            raw_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        try:
            user_id = User._meta.pk.to_python(raw_id)
        except (DjangoValidationError, ValueError, TypeError, AttributeError) as exc:
            raise InvalidToken() from exc
        if user_id is None:
            raise InvalidToken()
        user = auth_user_get(user_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        return user
