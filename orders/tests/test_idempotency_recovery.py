"""An order whose answer was never stored: the key still gives that one order at once.

Found by the PostgreSQL drill (tests/drills/test_postgres_cut_mid_order.py):
a connection cut after the order committed, while its answer was being
stored, answered 503 for an order that existed, and the client's retry with
the same key got 409 idempotency_request_in_progress until the lock expired
(60 s), though nothing was running any more.
"""

import pytest
from django.db import connection

from orders.models import IdempotencyRecord, Order
from orders.tests.factories import order_body, order_post
from orders.tests.support import assert_no_stock_drift

TRIGGER = "test_cut_while_storing_answer"


@pytest.fixture
def product(make_product):
    return make_product(stock=10)


@pytest.mark.django_db
def test_key_bound_to_an_order_replays_it_before_its_answer_is_stored(customer_client, product):
    body = order_body((product, 2))
    first = order_post(customer_client, body, key="key-1")
    # As left by a request that died between its commit and storing the answer.
    IdempotencyRecord.objects.update(
        state=IdempotencyRecord.State.IN_PROGRESS, response_status=None, response_body=None
    )

    retry = order_post(customer_client, body, key="key-1")

    assert retry.status_code == 201, retry.content
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["data"]["id"] == first.json()["data"]["id"]
    assert Order.objects.count() == 1


@pytest.fixture
def cut_while_storing_answers(transactional_db):
    """The request's own PostgreSQL backend is terminated as it stores an answer."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE FUNCTION {TRIGGER}() RETURNS trigger AS $$
            BEGIN
                PERFORM pg_terminate_backend(pg_backend_pid());
                RETURN NEW;
            END
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON idempotency_records FOR EACH ROW
            WHEN (NEW.response_status IS NOT NULL) EXECUTE FUNCTION {TRIGGER}();
            """
        )
    try:
        yield
    finally:
        # The cut connection is dropped before the next query takes another.
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}() CASCADE")


@pytest.mark.django_db(transaction=True)
def test_order_committed_before_its_connection_is_cut_is_answered_201(
    customer_client, product, cut_while_storing_answers
):
    body = order_body((product, 2))

    response = order_post(customer_client, body, key="key-1")
    connection.close()

    assert response.status_code == 201, response.content
    order = Order.objects.get()
    assert response.json()["data"]["id"] == f"ord_{order.pk.hex}"
    record = IdempotencyRecord.objects.get()
    assert (record.state, record.order_id) == (IdempotencyRecord.State.IN_PROGRESS, order.pk)

    retry = order_post(customer_client, body, key="key-1")

    assert retry.status_code == 201, retry.content
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["data"]["id"] == f"ord_{order.pk.hex}"
    assert Order.objects.count() == 1
    assert_no_stock_drift()
