"""The periodic token housekeeping: the token tables shrink, the live logins stay.

Two jobs of settings.PERIODIC_JOBS: SimpleJWT's ``flushexpiredtokens``
(outstanding and blacklisted tokens past expiry) and the purge of the token
families that can no longer refresh. They run here through Redis and RQ, as
the cron role enqueues them.
"""

from datetime import timedelta

import django_rq
import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import TokenFamily
from accounts.tests.factories import UserFactory
from accounts.tokens import token_families_revoke, token_pair_issue, token_pair_rotate

pytestmark = pytest.mark.django_db

HOUSEKEEPING = ("accounts.tasks.expired_tokens_flush", "accounts.tasks.token_families_purge")


def _run_housekeeping(run_jobs) -> None:
    for path, queue, _ in settings.PERIODIC_JOBS:
        if path in HOUSEKEEPING:
            django_rq.get_queue(queue).enqueue(import_string(path))
    assert run_jobs() == len(HOUSEKEEPING)


def _expire(pair) -> None:
    """Age a login so that its refresh token expired a minute ago."""
    family = TokenFamily.objects.get(current_jti=_jti(pair.refresh))
    OutstandingToken.objects.filter(user=family.user).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )


def _jti(raw: str) -> str:
    from rest_framework_simplejwt.tokens import RefreshToken

    return RefreshToken(raw, verify=False)["jti"]  # type: ignore[arg-type]


def _counts() -> tuple[int, int, int]:
    return (
        TokenFamily.objects.count(),
        OutstandingToken.objects.count(),
        BlacklistedToken.objects.count(),
    )


def test_both_jobs_are_scheduled_hourly():
    scheduled = {path: every for path, _, every in settings.PERIODIC_JOBS}
    assert {scheduled[path] for path in HOUSEKEEPING} == {3600}


def test_housekeeping_shrinks_the_token_tables_and_keeps_live_logins(run_jobs):
    live_user, expired_user, revoked_user = UserFactory(), UserFactory(), UserFactory()
    live = token_pair_rotate(raw_refresh=token_pair_issue(user=live_user).refresh)
    expired = token_pair_rotate(raw_refresh=token_pair_issue(user=expired_user).refresh)
    _expire(expired)
    token_pair_rotate(raw_refresh=token_pair_issue(user=revoked_user).refresh)
    token_families_revoke(user=revoked_user, reason="logout_all")
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    TokenFamily.objects.filter(user=revoked_user).update(
        revoked_at=timezone.now() - lifetime - timedelta(hours=1)
    )
    before = _counts()
    assert before == (3, 6, 4)  # 2 tokens a login; rotated ones and the revoked one blacklisted

    _run_housekeeping(run_jobs)

    # The expired login lost its family and both tokens (and their blacklist
    # entries); the long-revoked one its family. The live one keeps everything.
    assert _counts() == (1, 4, 3)
    assert list(TokenFamily.objects.values_list("user", flat=True)) == [live_user.pk]
    assert token_pair_rotate(raw_refresh=live.refresh).refresh


def test_a_recently_revoked_family_is_kept_with_its_reason(run_jobs):
    user = UserFactory()
    token_pair_issue(user=user)
    token_families_revoke(user=user, reason="password_change")

    _run_housekeeping(run_jobs)

    assert list(TokenFamily.objects.values_list("revoked_reason", flat=True)) == ["password_change"]


def test_a_family_whose_tokens_were_flushed_first_is_purged(run_jobs):
    pair = token_pair_issue(user=UserFactory())
    _expire(pair)
    OutstandingToken.objects.all().delete()  # flushexpiredtokens ran before the purge

    _run_housekeeping(run_jobs)

    assert _counts() == (0, 0, 0)
