"""Thin API views: validate input, call one service or selector, serialize."""

from typing import TYPE_CHECKING, cast

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.permissions import IsAdminRole
from accounts.serializers import (
    LoginInputSerializer,
    LoginOutputSerializer,
    PasswordChangeInputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetInputSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    RegisterOutputSerializer,
    TokenPairOutputSerializer,
    UserListFilterSerializer,
    UserOutputSerializer,
    UserUpdateInputSerializer,
)
from accounts.tokens import FAMILY_CLAIM, token_family_revoke_by_token, token_pair_rotate
from ecommerce.api.ids import PREFIXES, uuid_from_path
from ecommerce.api.pagination import PAGE_LIMIT_PARAMETERS, PageLimitPagination
from ecommerce.ratelimit.throttling import LoginRateThrottle

if TYPE_CHECKING:
    from accounts.models import User

_USER_ID = OpenApiParameter(
    "user_id",
    str,
    OpenApiParameter.PATH,
    pattern=r"^usr_[0-9a-f]{32}$",
    description="`usr_<32 hex digits>`. Another user's id answers 404, like a missing one.",
)
_USER_NOT_FOUND = OpenApiResponse(
    description="No such user, or not yours (not_found); a malformed id is 404 too."
)
_EMAIL_TAKEN = OpenApiResponse(
    description="The e-mail address belongs to another account (conflict)."
)
_TOKEN_INVALID = OpenApiResponse(
    description="The refresh token is malformed, expired, revoked or not the caller's "
    "(token_invalid)."
)
# The list envelope, with ``pagination``: a raw schema, as the envelope hook
# wraps only bodies that are not enveloped yet.
_USER_LIST_SCHEMA = PageLimitPagination().get_paginated_response_schema(
    {"type": "array", "items": {"$ref": "#/components/schemas/UserOutput"}}
)
# PUT is a partial update like PATCH: document one request body, nothing required.
_USER_UPDATE_REQUEST = UserUpdateInputSerializer(partial=True)


# Endpoints that work without a token (and ignore a stale one).
class PublicAuthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class RegisterView(PublicAuthView):
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        tags=["auth"],
        request=RegisterInputSerializer,
        responses={201: RegisterOutputSerializer, 409: _EMAIL_TAKEN},
        auth=[],
        summary="Create a customer account",
        description="The password is checked by the password validators (400 naming it).",
    )
    def post(self, request: Request) -> Response:
        body = RegisterInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user, pair = services.user_register(**body.validated_data)
        return Response(
            {**pair.as_response(), "user": UserOutputSerializer(user).data},
            status=status.HTTP_201_CREATED,
        )


class LoginView(PublicAuthView):
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        tags=["auth"],
        request=LoginInputSerializer,
        responses={
            200: LoginOutputSerializer,
            401: OpenApiResponse(description="Wrong e-mail or password (invalid_credentials)."),
        },
        auth=[],
        summary="Exchange e-mail and password for a token pair",
    )
    def post(self, request: Request) -> Response:
        body = LoginInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user, pair = services.auth_login(**body.validated_data)
        return Response({**pair.as_response(), "user": UserOutputSerializer(user).data})


class RefreshView(PublicAuthView):
    @extend_schema(
        tags=["auth"],
        request=RefreshInputSerializer,
        responses={200: TokenPairOutputSerializer, 401: _TOKEN_INVALID},
        auth=[],
        summary="Rotate a refresh token",
        description=(
            "Returns a new access token and a new refresh token; the one sent is "
            "blacklisted. Sending an already-rotated refresh token revokes its whole "
            "family (401 token_invalid)."
        ),
    )
    def post(self, request: Request) -> Response:
        body = RefreshInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pair = token_pair_rotate(raw_refresh=body.validated_data["refreshToken"])
        return Response(pair.as_response())


class LogoutView(APIView):
    @extend_schema(
        tags=["auth"],
        request=RefreshInputSerializer,
        responses={204: None},
        summary="Log out",
        description="Revokes the session (token family) of `refreshToken`, which must be "
        "the caller's (401 token_invalid otherwise).",
    )
    def post(self, request: Request) -> Response:
        body = RefreshInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token_family_revoke_by_token(
            raw_refresh=body.validated_data["refreshToken"], user=cast("User", request.user)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    @extend_schema(tags=["auth"], request=None, responses={204: None}, summary="Log out everywhere")
    def post(self, request: Request) -> Response:
        services.auth_logout_all(user=cast("User", request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    @extend_schema(
        tags=["auth"],
        request=PasswordChangeInputSerializer,
        responses={204: None},
        summary="Change password; other sessions are revoked",
    )
    def post(self, request: Request) -> Response:
        body = PasswordChangeInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.password_change(
            user=cast("User", request.user),
            current_password=body.validated_data["currentPassword"],
            new_password=body.validated_data["newPassword"],
            current_family_id=request.auth.get(FAMILY_CLAIM) if request.auth else None,  # type: ignore[union-attr]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(PublicAuthView):
    # Each request may send an e-mail: limited like login, per client IP (and
    # per address in the service), or it floods a mailbox and our sender.
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        tags=["auth"],
        request=PasswordResetInputSerializer,
        responses={
            202: OpenApiResponse(
                {"type": "object", "nullable": True, "description": "Always null."},
                description="Accepted; the e-mail, if any, is sent by a background job.",
            )
        },
        auth=[],
        summary="E-mail a one-time password reset link",
        description="Answers 202 whether or not an account has this address.",
    )
    def post(self, request: Request) -> Response:
        body = PasswordResetInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.password_reset_request(email=body.validated_data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicAuthView):
    # A token guesser gets LOGIN_RATE_LIMIT tries, like a password guesser.
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        tags=["auth"],
        request=PasswordResetConfirmInputSerializer,
        responses={
            204: None,
            400: OpenApiResponse(
                description="An invalid, used or expired token, or a weak password "
                "(validation_error naming `token` or `newPassword`)."
            ),
        },
        auth=[],
        summary="Set a new password with a reset token",
        description="The token works once; every session of the account is revoked.",
    )
    def post(self, request: Request) -> Response:
        body = PasswordResetConfirmInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.password_reset_confirm(
            token=body.validated_data["token"], new_password=body.validated_data["newPassword"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserMeView(APIView):
    @extend_schema(tags=["users"], responses={200: UserOutputSerializer}, summary="My profile")
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request.user).data)


class UserDetailView(APIView):
    def _get_user(self, request: Request, user_id: str):
        user = selectors.user_get_visible(
            viewer=cast("User", request.user), user_id=uuid_from_path(PREFIXES["user"], user_id)
        )
        if user is None:
            raise NotFound()
        return user

    @extend_schema(
        tags=["users"],
        parameters=[_USER_ID],
        responses={200: UserOutputSerializer, 404: _USER_NOT_FOUND},
        summary="A user (yourself; anyone for an admin)",
    )
    def get(self, request: Request, user_id: str) -> Response:
        return Response(UserOutputSerializer(self._get_user(request, user_id)).data)

    @extend_schema(
        tags=["users"],
        parameters=[_USER_ID],
        request=_USER_UPDATE_REQUEST,
        responses={200: UserOutputSerializer, 404: _USER_NOT_FOUND, 409: _EMAIL_TAKEN},
        summary="Update a user (partial)",
        description="`role` may be sent by an admin only; an unknown or forbidden field "
        "is refused with 400 naming it. The owner changing their own `email` sends "
        "`currentPassword` too (400 naming it when missing or wrong); an admin changing "
        "another user's e-mail does not.",
    )
    def patch(self, request: Request, user_id: str) -> Response:
        user = self._get_user(request, user_id)
        body = UserUpdateInputSerializer(
            data=request.data, partial=True, can_set_role=cast("User", request.user).is_admin
        )
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        current_password = data.pop("currentPassword", None)
        user = services.user_update(
            user=user,
            data=data,
            current_password=current_password,
            by_owner=user.pk == request.user.pk,
        )
        return Response(UserOutputSerializer(user).data)

    @extend_schema(
        tags=["users"],
        parameters=[_USER_ID],
        request=_USER_UPDATE_REQUEST,
        responses={200: UserOutputSerializer, 404: _USER_NOT_FOUND, 409: _EMAIL_TAKEN},
        summary="Update a user (partial, same as PATCH)",
    )
    def put(self, request: Request, user_id: str) -> Response:
        return self.patch(request, user_id)


class UserListView(APIView):
    permission_classes = [IsAdminRole]

    @extend_schema(
        tags=["users"],
        parameters=[
            UserListFilterSerializer,
            *PAGE_LIMIT_PARAMETERS,
        ],
        responses={200: OpenApiResponse(_USER_LIST_SCHEMA)},
        operation_id="users_list",
        summary="All users, newest first (admin)",
        description="Paginated. `role` filters by role, `email` by address (any case).",
    )
    def get(self, request: Request) -> Response:
        filters = UserListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = PageLimitPagination()
        page = paginator.paginate_queryset(selectors.user_list(**filters.validated_data), request)
        return paginator.get_paginated_response(UserOutputSerializer(page, many=True).data)
