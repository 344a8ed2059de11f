"""Bearer-token authentication for the API."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.tokens import Token

from accounts.models import User


class JWTAuthentication(SimpleJWTAuthentication):
    """SimpleJWT's, but a signed token whose user id is not a UUID is an invalid
    token (401 token_invalid) rather than a database error (500)."""

    def get_user(self, validated_token: Token) -> User | TokenUser:  # type: ignore[override]
        try:
            return super().get_user(validated_token)  # type: ignore[return-value]
        except (DjangoValidationError, ValueError, TypeError) as exc:
            raise InvalidToken() from exc
