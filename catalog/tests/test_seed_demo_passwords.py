"""manage.py seed_demo --reset-passwords: new demo passwords, printed."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def printed_password(out: str, email: str) -> str:
    line = next(line for line in out.splitlines() if line.startswith(f"New password of {email}"))
    return line.rsplit(": ", 1)[1]


def test_reset_passwords_prints_new_ones_that_work(monkeypatch):
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("DEMO_CUSTOMER_PASSWORD", raising=False)
    seed()
    before = {user.email: user.password for user in User.objects.all()}

    out = seed("--reset-passwords")

    for email in ("admin@example.com", "customer@example.com"):
        user = User.objects.get(email=email)
        assert user.password != before[email]
        assert user.check_password(printed_password(out, email))


def test_reset_passwords_takes_the_demo_variables(monkeypatch):
    seed()
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "chosen-admin-pass-1")
    monkeypatch.delenv("DEMO_CUSTOMER_PASSWORD", raising=False)

    out = seed("--reset-passwords")

    assert User.objects.get(email="admin@example.com").check_password("chosen-admin-pass-1")
    assert "chosen-admin-pass-1" not in out
    assert "New password of admin@example.com: from DEMO_ADMIN_PASSWORD" in out


def test_reset_passwords_on_an_empty_database_creates_the_accounts(monkeypatch):
    monkeypatch.delenv("DEMO_CUSTOMER_PASSWORD", raising=False)

    out = seed("--reset-passwords")

    assert User.objects.filter(email="customer@example.com").exists()
    assert "Created customer@example.com with password" in out


def test_without_the_flag_passwords_stay(monkeypatch):
    seed()
    before = User.objects.get(email="customer@example.com").password

    seed()

    assert User.objects.get(email="customer@example.com").password == before
