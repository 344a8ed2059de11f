from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from accounts.models import TokenFamily, User


class ShopUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name", "role")


class ShopUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = ("email", "name", "phone", "role", "is_active", "is_superuser")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = ShopUserChangeForm
    add_form = ShopUserCreationForm
    list_display = ("email", "name", "role", "is_active", "created_at", "last_login")
    list_filter = ("role", "is_active", "is_superuser")
    search_fields = ("email", "name", "phone")
    ordering = ("-created_at",)
    readonly_fields = ("id", "created_at", "updated_at", "last_login")
    filter_horizontal = ("groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("id", "email", "password")}),
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
    """Login sessions; staff can revoke a stolen session by setting revoked_at."""

    list_display = ("id", "user", "created_at", "revoked_at", "revoked_reason")
    list_filter = ("revoked_reason",)
    search_fields = ("user__email",)
    raw_id_fields = ("user",)
    readonly_fields = ("id", "user", "current_jti", "created_at")
