"""Changing an e-mail address through PUT/PATCH /v1/users/:id asks for the current password.

As for a password change: whoever holds only a stolen access token must not
be able to move the account, and its reset e-mails, to their own mailbox.
"""

import pytest

from accounts.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def url(user) -> str:
    return f"/v1/users/usr_{user.pk.hex}"


@pytest.mark.parametrize("method", ["patch", "put"])
def test_the_owner_changes_their_email_with_the_current_password(
    customer_client, customer, password, method
):
    response = getattr(customer_client, method)(
        url(customer), {"email": "new@example.com", "currentPassword": password}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["data"]["email"] == "new@example.com"
    assert "currentPassword" not in response.json()["data"]
    customer.refresh_from_db()
    assert customer.email == "new@example.com"


@pytest.mark.parametrize("method", ["patch", "put"])
def test_without_the_current_password_the_email_stays(customer_client, customer, method):
    response = getattr(customer_client, method)(
        url(customer), {"email": "thief@example.com"}, format="json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"] == {"currentPassword": ["Required to change the e-mail address."]}
    customer.refresh_from_db()
    assert customer.email == "customer@example.com"


def test_a_wrong_current_password_is_refused(customer_client, customer):
    response = customer_client.patch(
        url(customer),
        {"email": "thief@example.com", "currentPassword": "not-my-password"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "currentPassword": ["The current password is incorrect."]
    }
    customer.refresh_from_db()
    assert customer.email == "customer@example.com"


def test_a_wrong_password_says_nothing_about_whether_the_address_is_taken(
    customer_client, customer, other_customer
):
    response = customer_client.patch(
        url(customer),
        {"email": other_customer.email, "currentPassword": "not-my-password"},
        format="json",
    )

    assert response.status_code == 400  # not 409: the address stays a secret


def test_other_fields_change_without_a_password(customer_client, customer):
    response = customer_client.patch(url(customer), {"name": "Carla C."}, format="json")

    assert response.status_code == 200


def test_sending_the_unchanged_email_needs_no_password(customer_client, customer):
    response = customer_client.patch(url(customer), {"email": customer.email}, format="json")

    assert response.status_code == 200


def test_an_admin_changes_another_users_email_without_a_password(admin_client_api, customer):
    response = admin_client_api.patch(url(customer), {"email": "fixed@example.com"}, format="json")

    assert response.status_code == 200, response.content
    customer.refresh_from_db()
    assert customer.email == "fixed@example.com"


def test_an_admin_changing_their_own_email_gives_their_password(client_for, password):
    admin = AdminFactory(email="boss@example.com")
    client = client_for(admin)

    refused = client.patch(url(admin), {"email": "boss2@example.com"}, format="json")
    accepted = client.patch(
        url(admin), {"email": "boss2@example.com", "currentPassword": password}, format="json"
    )

    assert refused.status_code == 400
    assert accepted.status_code == 200


def test_a_customer_still_cannot_touch_another_users_email(customer_client, other_customer):
    response = customer_client.patch(
        url(other_customer), {"email": "x@example.com", "currentPassword": "x"}, format="json"
    )

    assert response.status_code == 404
