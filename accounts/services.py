"""Every write to accounts: registration, login, sessions, passwords, profiles."""

import dataclasses
import logging
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework.exceptions import ValidationError

from accounts import tasks
from accounts.auth_record import auth_record_invalidate
from accounts.email_address import email_normalize, email_normalize_or_none
from accounts.errors import EmailTaken, InvalidCredentials, PasswordResetTokenInvalid
from accounts.models import User
from accounts.tokens import TokenPair, token_families_revoke, token_pair_issue
from ecommerce.api.ids import PREFIXES, public_id
from ecommerce.jobs.enqueue import job_enqueue
from ecommerce.ratelimit.throttling import Rate, rate_limit_hit

logger = logging.getLogger(__name__)

# Reset e-mails one address receives, whatever the client IPs asking: the
# per-IP LOGIN_RATE_LIMIT alone lets many addresses (a botnet) flood a mailbox.
# Earlier links keep working, so a user who asks again loses nothing.
PASSWORD_RESET_EMAILS_PER_ADDRESS = Rate(limit=3, window=3600)


def user_register(*, email: str, password: str, name: str) -> tuple[User, TokenPair]:
    """Create a customer account and log it in. Raises EmailTaken, ValidationError."""
    email = _email_normalize(email)
    candidate = User(email=email, name=name)
    _validate_password(password, candidate, field="password")
    if User.objects.filter(email=email).exists():
        raise EmailTaken(details={"email": ["An account with this e-mail address exists."]})
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name)
            user.last_login = timezone.now()
            user.save(update_fields=["last_login"])
            pair = token_pair_issue(user=user)
    except IntegrityError as exc:
        # Two registrations raced past the check: the unique index decides.
        raise EmailTaken(
            details={"email": ["An account with this e-mail address exists."]}
        ) from exc
    return user, pair


def auth_login(*, email: str, password: str) -> tuple[User, TokenPair]:
    """Check credentials, record ``last_login`` and start a token family.

    Wrong e-mail and wrong password give the same InvalidCredentials, for the
    same work: Django's ModelBackend already runs the hasher once for an
    unknown address, so a second hash here would make unknown addresses the
    slower ones and reveal which have accounts.
    """
    user = authenticate(username=email, password=password)
    if user is None:
        raise InvalidCredentials()
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    return user, token_pair_issue(user=user)


def auth_logout_all(*, user: User) -> None:
    token_families_revoke(user=user, reason="logout_all")


def password_change(
    *, user: User, current_password: str, new_password: str, current_family_id: str | None
) -> None:
    """Set a new password and revoke every session but the caller's."""
    if not user.check_password(current_password):
        raise ValidationError({"currentPassword": ["The current password is incorrect."]})
    _validate_password(new_password, user, field="newPassword")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        token_families_revoke(user=user, reason="password_change", keep_family_id=current_family_id)


def password_reset_request(*, email: str) -> None:
    """Queue the reset e-mail, at most PASSWORD_RESET_EMAILS_PER_ADDRESS per address.

    The job looks the address up, and the cap counts every address alike, so
    the answer and its timing are the same whether or not an account exists.
    The counter fails open: with Redis down, the e-mail is queued.
    """
    address = email_normalize_or_none(email)
    if address is None:
        # No account can have it; the view refuses such input before this.
        return
    # Keyed by a keyed hash of the normalised address: every spelling of one
    # mailbox counts against one cap, and no address is in a Redis key name.
    client = salted_hmac("password-reset-email", address).hexdigest()[:32]
    state = rate_limit_hit(
        scope="password_reset_email", client=client, rate=PASSWORD_RESET_EMAILS_PER_ADDRESS
    )
    if state is not None and state.exceeded:
        logger.info("Password reset e-mail cap reached for an address; nothing queued.")
        return
    job_enqueue(tasks.password_reset_email_send, email=address, queue="emails")


def password_reset_token_make(*, user: User) -> str:
    """A one-time token: it stops working once the password changes."""
    uid = urlsafe_base64_encode(force_bytes(user.pk.hex))
    return f"{uid}.{default_token_generator.make_token(user)}"


def password_reset_confirm(*, token: str, new_password: str) -> None:
    """Set the password from a reset token and revoke every session."""
    user = _user_from_reset_token(token)
    _validate_password(new_password, user, field="newPassword")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        token_families_revoke(user=user, reason="password_reset")


def user_update(
    *,
    user: User,
    data: dict[str, Any],
    current_password: str | None = None,
    by_owner: bool = False,
) -> User:
    """Apply already-validated profile fields. Raises EmailTaken, ValidationError.

    The owner changing their own e-mail must give ``current_password``, as a
    password change does: a stolen access token alone must not move the
    account (and its password resets) to another mailbox. An admin changing
    someone else's address (``by_owner`` False) needs no password.
    """
    if "email" in data:
        data["email"] = _email_normalize(data["email"])
        if by_owner and data["email"] != user.email:
            if not current_password:
                raise ValidationError(
                    {"currentPassword": ["Required to change the e-mail address."]}
                )
            if not user.check_password(current_password):
                raise ValidationError({"currentPassword": ["The current password is incorrect."]})
        taken = User.objects.filter(email=data["email"]).exclude(pk=user.pk).exists()
        if taken:
            raise EmailTaken(details={"email": ["An account with this e-mail address exists."]})
    for field, value in data.items():
        setattr(user, field, value)
    try:
        with transaction.atomic():
            user.save(update_fields=[*data.keys(), "updated_at"])
    except IntegrityError as exc:
        raise EmailTaken(
            details={"email": ["An account with this e-mail address exists."]}
        ) from exc
    return user


def _email_normalize(email: str) -> str:
    try:
        return email_normalize(email)
    except DjangoValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc


def _validate_password(password: str, user: User, *, field: str) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError({field: list(exc.messages)}) from exc


def _user_from_reset_token(token: str) -> User:
    uid, _, check = token.partition(".")
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uid)), is_active=True)
    except (User.DoesNotExist, ValueError, TypeError, DjangoValidationError) as exc:
        raise PasswordResetTokenInvalid(details={"token": ["Invalid or expired token."]}) from exc
    if not default_token_generator.check_token(user, check):
        raise PasswordResetTokenInvalid(details={"token": ["Invalid or expired token."]})
    return user


@dataclasses.dataclass
class EmailNormalization:
    """What ``user_emails_normalize`` did, or would do (``apply=False``)."""

    changed: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # id, old, new
    # The normal form several accounts share: those not already in that form
    # are left as they are, for an operator to decide (never merged).
    collisions: list[tuple[str, list[tuple[str, str]]]] = dataclasses.field(default_factory=list)
    invalid: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # id, email, why

    def lines(self) -> list[str]:
        """A report for an operator: every account left alone, and why."""
        lines = [
            f"E-mail addresses: {len(self.changed)} normalised, "
            f"{sum(len(rows) for _, rows in self.collisions)} in {len(self.collisions)} "
            f"collision(s) left as they are, {len(self.invalid)} not normalisable."
        ]
        for target, rows in self.collisions:
            holders = ", ".join(f"{user_id} {email!a}" for user_id, email in rows)
            lines.append(f"  collision on {target}: {holders}")
        for user_id, email, reason in self.invalid:
            lines.append(f"  not normalisable: {user_id} {email!a}: {reason}")
        if self.collisions or self.invalid:
            lines.append(
                "  These accounts cannot log in or receive resets by their address until "
                "resolved: check who owns the mailbox, then change the address or deactivate "
                "the account in /admin/, and run `manage.py normalize_emails` again."
            )
        return lines


def user_emails_normalize(*, users: Any = None, apply: bool = True) -> EmailNormalization:
    """Rewrite every stored address to its normal form (accounts.email_address).

    Addresses that collide (two accounts whose addresses normalise to one) are
    reported and left untouched: merging accounts is an operator's decision,
    and the one whose spelling was odd may be an attacker's. An account already
    in the normal form keeps it. ``users`` is the User manager or queryset to
    work on (a migration passes its historical model's); each update is its own
    savepoint, so a row a running server wrote meanwhile is a collision too.
    """
    users = User.objects if users is None else users
    report = EmailNormalization()
    by_target: dict[str, list[tuple[Any, str]]] = {}
    for pk, email in users.order_by("created_at", "pk").values_list("pk", "email").iterator():
        try:
            target = email_normalize(email)
        except DjangoValidationError as exc:
            report.invalid.append((public_id(PREFIXES["user"], pk), email, " ".join(exc.messages)))
            continue
        by_target.setdefault(target, []).append((pk, email))
    for target, rows in by_target.items():
        odd = [(pk, email) for pk, email in rows if email != target]
        if not odd:
            continue
        if len(rows) > 1:
            report.collisions.append(
                (target, [(public_id(PREFIXES["user"], pk), email) for pk, email in rows])
            )
            continue
        [(pk, email)] = odd
        if apply:
            try:
                with transaction.atomic():
                    # QuerySet.update sends no post_save: the auth record is
                    # invalidated here (accounts.auth_record).
                    if users.filter(pk=pk, email=email).update(email=target):
                        auth_record_invalidate(pk, rewrite=False)
            except IntegrityError:
                report.collisions.append((target, [(public_id(PREFIXES["user"], pk), email)]))
                continue
        report.changed.append((public_id(PREFIXES["user"], pk), email, target))
    return report
