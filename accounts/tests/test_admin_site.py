"""The Django admin: staff login goes with role admin; the user pages render."""

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return AdminFactory(email="root@example.com", is_superuser=True)


@pytest.fixture
def site(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def test_admin_role_can_log_in_to_the_admin_site(admin_user, admin_login):
    response = admin_login(admin_user.email)
    client = response.client

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_login_email_is_case_insensitive(admin_user, admin_login):
    response = admin_login(admin_user.email.upper())

    assert response.status_code == 302


def test_customer_is_refused_by_the_admin_site_login(customer, admin_login):
    response = admin_login(customer.email)
    client = response.client

    assert response.status_code == 200
    assert b"staff account" in response.content
    assert client.get("/admin/").status_code == 302


def test_admin_index_redirects_an_anonymous_visitor_to_login():
    response = Client().get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_user_changelist_renders_for_a_superuser(site, customer):
    response = site.get("/admin/accounts/user/")

    assert response.status_code == 200
    assert customer.email.encode() in response.content


def test_user_changelist_search_and_role_filter_render(site, customer, other_customer):
    response = site.get("/admin/accounts/user/", {"q": "carla", "role__exact": "customer"})

    assert response.status_code == 200
    assert customer.email.encode() in response.content
    assert other_customer.email.encode() not in response.content


def test_user_change_page_renders_for_a_superuser(site, customer):
    response = site.get(f"/admin/accounts/user/{customer.pk}/change/")

    assert response.status_code == 200
    assert customer.email.encode() in response.content


def test_user_add_page_renders_for_a_superuser(site):
    assert site.get("/admin/accounts/user/add/").status_code == 200


def test_user_change_page_saves_a_role_change(site, customer):
    response = site.post(
        f"/admin/accounts/user/{customer.pk}/change/",
        {"email": customer.email, "name": customer.name, "phone": "", "role": "admin",
         "is_active": "on"},
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert customer.role == "admin"
    assert customer.is_staff
    assert customer.phone is None


def test_user_add_page_creates_a_user_with_a_lower_case_email(site):
    response = site.post(
        "/admin/accounts/user/add/",
        {"email": "Fresh@Example.com", "name": "Fresh", "role": "customer",
         "password1": "violet-Quasar-1987", "password2": "violet-Quasar-1987",
         "usable_password": "true"},
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:3000]
    assert User.objects.filter(email="fresh@example.com").exists()


def test_token_family_changelist_renders_for_a_superuser(site, customer, login):
    login(customer.email)

    response = site.get("/admin/accounts/tokenfamily/")

    assert response.status_code == 200
    assert customer.email.encode() in response.content
