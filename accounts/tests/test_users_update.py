"""PATCH and PUT /v1/users/:id."""

import uuid

import pytest

from accounts.models import Role

pytestmark = pytest.mark.django_db


def url(user) -> str:
    return f"/v1/users/usr_{user.pk.hex}"


def test_patch_changes_the_name(customer_client, customer):
    response = customer_client.patch(url(customer), {"name": "Carla Changed"}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Carla Changed"
    customer.refresh_from_db()
    assert customer.name == "Carla Changed"


def test_put_is_a_partial_update_too(customer_client, customer):
    response = customer_client.put(url(customer), {"name": "Carla Put"}, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.name == "Carla Put"
    assert customer.email == "customer@example.com"


def test_patch_sets_an_e164_phone(customer_client, customer):
    response = customer_client.patch(url(customer), {"phone": "+14155550123"}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["phone"] == "+14155550123"


def test_patch_clears_the_phone_with_null(customer_client, customer):
    customer.phone = "+14155550123"
    customer.save(update_fields=["phone"])

    response = customer_client.patch(url(customer), {"phone": None}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["phone"] is None


@pytest.mark.parametrize(
    "phone", ["4155550123", "+0123456789", "+1 415 555 0123", "+1234567890123456", "", "+"]
)
def test_patch_with_a_non_e164_phone_is_400_naming_phone(customer_client, customer, phone):
    response = customer_client.patch(url(customer), {"phone": phone}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["details"]) == ["phone"]


def test_patch_changes_the_email_lower_cased(customer_client, customer, password):
    response = customer_client.patch(
        url(customer), {"email": "Carla@Example.org", "currentPassword": password}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["email"] == "carla@example.org"
    customer.refresh_from_db()
    assert customer.email == "carla@example.org"


def test_patch_to_a_taken_email_in_any_case_is_409_conflict(
    customer_client, customer, other_customer, password
):
    response = customer_client.patch(
        url(customer),
        {"email": other_customer.email.upper(), "currentPassword": password},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    customer.refresh_from_db()
    assert customer.email == "customer@example.com"


def test_patch_to_ones_own_email_is_200(customer_client, customer):
    response = customer_client.patch(url(customer), {"email": customer.email}, format="json")

    assert response.status_code == 200


def test_patch_with_an_invalid_email_is_400_naming_email(customer_client, customer):
    response = customer_client.patch(url(customer), {"email": "not-an-email"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["email"]


def test_patch_with_a_blank_name_is_400_naming_name(customer_client, customer):
    response = customer_client.patch(url(customer), {"name": ""}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["name"]


def test_customer_sending_role_is_400_naming_role(customer_client, customer):
    response = customer_client.patch(url(customer), {"role": "admin"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["details"]) == ["role"]
    customer.refresh_from_db()
    assert customer.role == Role.CUSTOMER


def test_customer_sending_role_with_other_fields_changes_nothing(customer_client, customer):
    response = customer_client.patch(
        url(customer), {"role": "admin", "name": "Sneaky"}, format="json"
    )

    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.name == "Carla Customer"


def test_admin_may_promote_a_customer(admin_client_api, customer):
    response = admin_client_api.patch(url(customer), {"role": "admin"}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["role"] == "admin"
    customer.refresh_from_db()
    assert customer.role == Role.ADMIN
    assert customer.is_staff


def test_admin_with_an_unknown_role_is_400_naming_role(admin_client_api, customer):
    response = admin_client_api.patch(url(customer), {"role": "root"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["details"]) == ["role"]


def test_admin_may_change_another_users_name(admin_client_api, customer):
    response = admin_client_api.patch(url(customer), {"name": "Renamed"}, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.name == "Renamed"


@pytest.mark.parametrize(
    "field", ["password", "createdAt", "id", "lastLogin", "is_staff", "isSuperuser", "nickname"]
)
def test_patch_with_an_unknown_or_forbidden_field_is_400_naming_it(
    customer_client, customer, field
):
    response = customer_client.patch(url(customer), {field: "x"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert list(response.json()["error"]["details"]) == [field]


def test_patch_with_password_does_not_change_the_password(customer_client, customer, password):
    customer_client.patch(url(customer), {"password": "hijack-Attempt-123"}, format="json")

    customer.refresh_from_db()
    assert customer.check_password(password)


def test_patch_with_an_empty_body_is_200_and_changes_nothing(customer_client, customer):
    response = customer_client.patch(url(customer), {}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Carla Customer"


@pytest.mark.parametrize("body", [[], "name", 42])
def test_patch_with_a_non_object_body_is_400(customer_client, customer, body):
    response = customer_client.patch(url(customer), body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_patch_of_another_customer_is_404_and_changes_nothing(customer_client, other_customer):
    response = customer_client.patch(url(other_customer), {"name": "Hacked"}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    other_customer.refresh_from_db()
    assert other_customer.name == "Oscar Other"


def test_patch_of_a_missing_user_is_404(admin_client_api):
    response = admin_client_api.patch(
        f"/v1/users/usr_{uuid.uuid4().hex}", {"name": "X"}, format="json"
    )

    assert response.status_code == 404


def test_patch_anonymous_is_401_not_authenticated(api_client, customer):
    response = api_client.patch(url(customer), {"name": "X"}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_patch_updates_updated_at(customer_client, customer):
    before = customer.updated_at

    customer_client.patch(url(customer), {"name": "Later"}, format="json")

    customer.refresh_from_db()
    assert customer.updated_at > before


def test_patch_with_a_json_null_body_is_400(customer_client, customer):
    response = customer_client.generic(
        "PATCH", url(customer), b"null", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_patch_with_no_body_at_all_is_200_and_changes_nothing(customer_client, customer):
    response = customer_client.patch(url(customer))

    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Carla Customer"
