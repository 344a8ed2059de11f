"""Background jobs of the accounts app (thin: they call services)."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.core.management import call_command

from accounts.email_address import email_normalize_or_none

logger = logging.getLogger(__name__)


def password_reset_email_send(*, email: str) -> bool:
    """Send the reset link if ``email`` has an active account; True when sent."""
    from accounts.models import User
    from accounts.services import password_reset_token_make

    address = email_normalize_or_none(email)
    user = User.objects.filter(email=address, is_active=True).first() if address else None
    if user is None:
        logger.info("Password reset requested for an unknown address; nothing sent.")
        return False
    token = password_reset_token_make(user=user)
    link = settings.PASSWORD_RESET_URL.format(token=token)
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    send_mail(
        subject="Reset your password",
        message=(
            f"Hello {user.name},\n\n"
            f"Someone asked to reset the password of your account. To choose a new "
            f"password, open this link within {minutes} minutes:\n\n{link}\n\n"
            f"It works once. If you did not ask for it, ignore this e-mail: your "
            f"password stays as it is.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
    return True


def expired_tokens_flush() -> None:
    """SimpleJWT's ``flushexpiredtokens``: outstanding (and so blacklisted) tokens past expiry.

    Periodic (settings.PERIODIC_JOBS). Runs after or before token_families_purge
    alike: a family whose current token was flushed counts as expired.
    """
    call_command("flushexpiredtokens")


def token_families_purge() -> int:
    """Delete the token families that can no longer refresh (periodic; see accounts.tokens)."""
    from accounts.tokens import token_families_purge as purge

    deleted = purge()
    if deleted:
        logger.info("Purged %d expired or revoked token families.", deleted)
    return deleted
