import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from accounts.email_address import email_normalize, email_normalize_or_none

E164_VALIDATOR = RegexValidator(
    regex=r"^\+[1-9]\d{1,14}$",
    message="Enter a phone number in E.164 format, such as +14155550123.",
    code="invalid_phone",
)


class Role(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    ADMIN = "admin", "Admin"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """The stored form of an address (accounts.email_address: NFKC, case-folded,
        IDNA domain); ValidationError when there is none. Stored addresses are
        lower-case ASCII, which makes the plain unique index case-insensitive (a
        check constraint keeps it so)."""
        return email_normalize(email or "")

    def get_by_natural_key(self, username: str | None) -> "User":
        # Login (API and admin form) and createsuperuser's "already taken"
        # check: an address that cannot be normalised belongs to no account.
        address = email_normalize_or_none(username or "")
        if address is None:
            raise self.model.DoesNotExist("No user has this address.")
        return self.get(email=address)

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"], validate_unique=False)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields["role"] = Role.ADMIN
        fields["is_superuser"] = True
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A shop account; ``role`` admin is what grants staff access to /admin/."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=255, unique=True)
    name = models.CharField(max_length=255)
    # NULL, not "", is "no phone": the API shows null, and "" is not E.164.
    phone = models.CharField(  # noqa: DJ001
        max_length=16, null=True, blank=True, validators=[E164_VALIDATOR]
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        db_table = "users"
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="users_email_lowercase"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=[choice for choice, _ in Role.choices]),
                name="users_role_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["role"], name="users_role_idx"),
            models.Index(fields=["created_at"], name="users_created_at_idx"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        try:
            self.email = UserManager.normalize_email(self.email)
        except ValidationError as exc:
            raise ValidationError({"email": exc.messages}) from exc

    @property
    def is_staff(self) -> bool:
        """Staff access to /admin/ goes with the admin role, and only with it."""
        return self.role == Role.ADMIN

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name


class TokenFamily(models.Model):
    """All refresh tokens descended from one login.

    Rotation keeps one live token per family (``current_jti``). Presenting an
    already-rotated token of a family is treated as theft and revokes it whole.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="token_families")
    current_jti = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        db_table = "token_families"
        verbose_name_plural = "token families"
        indexes = [models.Index(fields=["user", "revoked_at"], name="token_family_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.id}"
