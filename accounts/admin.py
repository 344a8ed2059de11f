import functools
from collections.abc import Callable

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.http import HttpRequest, HttpResponse
from rest_framework_simplejwt.token_blacklist import admin as token_blacklist_admin
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.models import TokenFamily, User
from ecommerce.admin_public_ids import PublicIdAdminMixin
from ecommerce.api.ids import PREFIXES
from ecommerce.ratelimit.throttling import (
    LoginRateThrottle,
    client_ip,
    client_ip_key,
    configured_rate,
    rate_limit_hit,
)


def login_rate_limited(login_view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The admin's login form, counted against LOGIN_RATE_LIMIT per client IP.

    Staff passwords are the most valuable ones, and the form had no limit at
    all. Its attempts share the API login's counter (``rate_limit:login:<ip>``),
    so alternating between the two buys a guesser nothing. Only POSTs count;
    the counter fails open like the API's.
    """

    @functools.wraps(login_view)
    def view(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.method == "POST":
            state = rate_limit_hit(
                scope=LoginRateThrottle.scope,
                client=client_ip_key(client_ip(request)),
                rate=configured_rate(LoginRateThrottle.rate_setting),
            )
            if state is not None and state.exceeded:
                response = HttpResponse(
                    "Too many login attempts. Try again later.\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(state.reset)
                return response
        return login_view(request, extra_context)

    return view


# The site's URLs are built from ``admin.site.login`` when the URLconf loads,
# after every app's admin module (this one) has run.
admin.site.login = login_rate_limited(admin.site.login)  # type: ignore[method-assign]


class ShopUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name", "role")


class ShopUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = ("email", "name", "phone", "role", "is_active", "is_superuser")


@admin.register(User)
class UserAdmin(PublicIdAdminMixin, DjangoUserAdmin):
    form = ShopUserChangeForm
    add_form = ShopUserCreationForm
    public_id_prefix = PREFIXES["user"]
    public_id_search = {PREFIXES["user"]: "pk"}
    list_display = ("email", "name", "public_id", "role", "is_active", "created_at", "last_login")
    list_filter = ("role", "is_active", "is_superuser")
    search_fields = ("email", "name", "phone")
    search_help_text = "A customer id (usr_…), an e-mail, a name or a phone number."
    ordering = ("-created_at",)
    readonly_fields = ("public_id", "created_at", "updated_at", "last_login")
    filter_horizontal = ("groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("public_id", "email", "password")}),
        ("Profile", {"fields": ("name", "phone")}),
        (
            "Access",
            {
                "description": "Role admin grants staff access to this site and the admin API.",
                "fields": ("role", "is_active", "is_superuser", "groups", "user_permissions"),
            },
        ),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "name", "role", "password1", "password2"),
            },
        ),
    )


@admin.register(TokenFamily)
class TokenFamilyAdmin(admin.ModelAdmin):
    """Login sessions; staff can revoke a stolen session by setting revoked_at.

    A session starts at a login, never here: no Add.
    """

    list_display = ("id", "user", "created_at", "revoked_at", "revoked_reason")
    list_filter = ("revoked_reason",)
    search_fields = ("user__email",)
    raw_id_fields = ("user",)
    readonly_fields = ("id", "user", "current_jti", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class BlacklistedTokenAdmin(token_blacklist_admin.BlacklistedTokenAdmin):
    """SimpleJWT's page, read-only: a row is written when a token is rotated or
    revoked; one typed by hand would name no real token, one deleted would let a
    revoked refresh token work again."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.method in ("GET", "HEAD") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


admin.site.unregister(BlacklistedToken)
admin.site.register(BlacklistedToken, BlacklistedTokenAdmin)
