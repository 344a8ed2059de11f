from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.email_address import email_normalize
from accounts.models import E164_VALIDATOR, Role, User
from ecommerce.api.ids import PREFIXES, PublicIdField
from ecommerce.api.serializers import StrictInputSerializer


class UserOutputSerializer(serializers.Serializer):
    id = PublicIdField(PREFIXES["user"])
    email = serializers.EmailField()
    name = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    lastLogin = serializers.DateTimeField(source="last_login", allow_null=True)


class EmailAddressField(serializers.EmailField):
    """An address in its stored form (accounts.email_address), or a 400 naming the field."""

    def to_internal_value(self, data: Any) -> str:
        try:
            return email_normalize(super().to_internal_value(data))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class RegisterInputSerializer(StrictInputSerializer):
    email = EmailAddressField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    name = serializers.CharField(min_length=1, max_length=255)


class LoginInputSerializer(StrictInputSerializer):
    email = serializers.CharField(max_length=255)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshInputSerializer(StrictInputSerializer):
    refreshToken = serializers.CharField(max_length=4096)


class PasswordChangeInputSerializer(StrictInputSerializer):
    currentPassword = serializers.CharField(max_length=128, trim_whitespace=False)
    newPassword = serializers.CharField(max_length=128, trim_whitespace=False)


class PasswordResetInputSerializer(StrictInputSerializer):
    email = EmailAddressField(max_length=254)


class PasswordResetConfirmInputSerializer(StrictInputSerializer):
    token = serializers.CharField(max_length=512)
    newPassword = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenPairOutputSerializer(serializers.Serializer):
    accessToken = serializers.CharField()
    refreshToken = serializers.CharField()
    tokenType = serializers.ChoiceField(choices=["Bearer"])
    expiresIn = serializers.IntegerField(help_text="Access token lifetime in seconds.")


class LoginOutputSerializer(TokenPairOutputSerializer):
    user = UserOutputSerializer()


class RegisterOutputSerializer(TokenPairOutputSerializer):
    user = UserOutputSerializer()


class UserUpdateInputSerializer(StrictInputSerializer):
    """Profile fields to change; omitted ones keep their value. `role`: admins only."""

    email = EmailAddressField(max_length=254)
    name = serializers.CharField(min_length=1, max_length=255)
    phone = serializers.CharField(max_length=16, allow_null=True, validators=[E164_VALIDATOR])
    role = serializers.ChoiceField(choices=Role.choices)
    currentPassword = serializers.CharField(
        max_length=128,
        trim_whitespace=False,
        write_only=True,
        help_text="Required when the account's owner changes its e-mail address.",
    )

    def __init__(self, *args, can_set_role: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.can_set_role = can_set_role

    def validate_role(self, value: str) -> str:
        if not self.can_set_role:
            raise serializers.ValidationError("Only an admin can change the role.")
        return value


class UserListFilterSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    email = serializers.CharField(max_length=255, required=False)


__all__ = ["User"]
