"""manage.py createsuperuser --noinput with the DJANGO_SUPERUSER_* variables."""

import pytest
from django.core.management import call_command

from accounts.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_env(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Boss@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "violet-Quasar-1987")
    monkeypatch.setenv("DJANGO_SUPERUSER_NAME", "Big Boss")


def test_createsuperuser_noinput_makes_an_admin_with_staff_access(superuser_env):
    call_command("createsuperuser", interactive=False, verbosity=0)

    user = User.objects.get()
    assert user.role == Role.ADMIN
    assert user.is_staff
    assert user.is_superuser
    assert user.is_active


def test_createsuperuser_stores_the_email_lower_case_with_name_and_password(superuser_env):
    call_command("createsuperuser", interactive=False, verbosity=0)

    user = User.objects.get()
    assert user.email == "boss@example.com"
    assert user.name == "Big Boss"
    assert user.check_password("violet-Quasar-1987")


def test_createsuperuser_admin_can_log_in_to_the_api(superuser_env, login):
    call_command("createsuperuser", interactive=False, verbosity=0)

    assert login("boss@example.com", "violet-Quasar-1987")["user"]["role"] == "admin"
